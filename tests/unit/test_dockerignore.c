/* .dockerignore rules as Docker applies them: comments, trimming, cleaning,
   leading '/', '*' within a component, '**' across components, '!'
   exceptions with the last match winning, parent directories, and the
   glob matcher shared with COPY sources. */
#include <criterion/criterion.h>
#include <string.h>

#include "devenv/image/glob.h"
#include "devenv/image/ignore.h"
#include "util.h"

static devenv_ignore *
parse (const char *text)
{
  devenv_ignore *ig = NULL;
  sbx_error *err = NULL;
  cr_assert (devenv_ignore_parse (text, strlen (text), ".dockerignore", &ig, &err) == 0, "%s",
             err ? err->msg : "");
  return ig;
}

#define EXCLUDED(ig, p) cr_assert (devenv_ignore_excluded (ig, p), "%s should be excluded", p)
#define KEPT(ig, p) cr_assert (!devenv_ignore_excluded (ig, p), "%s should be kept", p)

Test (dockerignore, empty_keeps_everything)
{
  devenv_ignore *ig = parse ("");
  KEPT (ig, "a");
  KEPT (ig, "a/b/c");
  cr_assert_eq (devenv_ignore_count (ig), 0);
  devenv_ignore_free (ig);
}

Test (dockerignore, comments_blank_lines_and_spaces)
{
  devenv_ignore *ig = parse ("# a comment\n\n   \n  node_modules  \r\n#build\n");
  cr_assert_eq (devenv_ignore_count (ig), 1);
  EXCLUDED (ig, "node_modules");
  EXCLUDED (ig, "node_modules/x/y.js");
  KEPT (ig, "build");
  KEPT (ig, "src/node_modules"); /* patterns are anchored at the context root */
  devenv_ignore_free (ig);
}

Test (dockerignore, cleaned_and_leading_slash)
{
  devenv_ignore *ig = parse ("/dist/\n./tmp//cache\nsrc/../out\n");
  EXCLUDED (ig, "dist");
  EXCLUDED (ig, "dist/a.js");
  EXCLUDED (ig, "tmp/cache/x");
  EXCLUDED (ig, "out/bin");
  KEPT (ig, "src/out");
  KEPT (ig, "tmp/other");
  devenv_ignore_free (ig);
}

Test (dockerignore, star_stays_in_one_component)
{
  devenv_ignore *ig = parse ("*.log\ndocs/*.md\n");
  EXCLUDED (ig, "a.log");
  KEPT (ig, "logs/a.log");
  EXCLUDED (ig, "docs/readme.md");
  KEPT (ig, "docs/sub/readme.md");
  KEPT (ig, "a.log.txt");
  devenv_ignore_free (ig);
}

Test (dockerignore, double_star)
{
  devenv_ignore *ig = parse ("**/*.o\nbuild/**\n**/secret\n");
  EXCLUDED (ig, "a.o");
  EXCLUDED (ig, "src/deep/x.o");
  EXCLUDED (ig, "build/a/b");
  EXCLUDED (ig, "secret");
  EXCLUDED (ig, "a/b/secret");
  EXCLUDED (ig, "a/b/secret/inner.txt");
  KEPT (ig, "src/x.c");
  KEPT (ig, "buildx");
  devenv_ignore_free (ig);
}

Test (dockerignore, exceptions_last_match_wins)
{
  devenv_ignore *ig = parse ("*.md\n!README.md\nREADME*.md\n!README-keep.md\n");
  EXCLUDED (ig, "CHANGES.md");
  EXCLUDED (ig, "README.md"); /* excluded again by the third line */
  KEPT (ig, "README-keep.md");
  EXCLUDED (ig, "README-x.md");
  KEPT (ig, "main.c");
  devenv_ignore_free (ig);
}

Test (dockerignore, exception_inside_excluded_directory)
{
  devenv_ignore *ig = parse ("vendor\n!vendor/keep\n");
  EXCLUDED (ig, "vendor");
  EXCLUDED (ig, "vendor/drop/x");
  KEPT (ig, "vendor/keep");
  KEPT (ig, "vendor/keep/file");
  cr_assert (devenv_ignore_descend (ig, "vendor"));
  cr_assert_not (devenv_ignore_descend (ig, "vendor/drop"));
  devenv_ignore_free (ig);
  ig = parse ("vendor\n");
  cr_assert_not (devenv_ignore_descend (ig, "vendor"));
  devenv_ignore_free (ig);
}

Test (dockerignore, everything_but)
{
  devenv_ignore *ig = parse ("*\n!src\n!Dockerfile\n");
  EXCLUDED (ig, "README");
  EXCLUDED (ig, "docs/x");
  KEPT (ig, "src");
  KEPT (ig, "src/main.c");
  KEPT (ig, "Dockerfile");
  devenv_ignore_free (ig);
}

Test (dockerignore, classes_question_marks_escapes)
{
  devenv_ignore *ig = parse ("file[0-9].txt\nx?\n[!a]b\nliteral\\*star\n");
  EXCLUDED (ig, "file3.txt");
  KEPT (ig, "fileA.txt");
  EXCLUDED (ig, "xy");
  KEPT (ig, "xyz");
  /* Docker's matcher reads "[!a]" as a class of '!' and 'a'. */
  EXCLUDED (ig, "!b");
  EXCLUDED (ig, "ab");
  KEPT (ig, "cb");
  EXCLUDED (ig, "literal*star");
  KEPT (ig, "literalXstar");
  devenv_ignore_free (ig);
}

Test (dockerignore, names_with_spaces_and_unicode)
{
  devenv_ignore *ig = parse ("my file.txt\nd\xc3\xa9j\xc3\xa0/\n");
  EXCLUDED (ig, "my file.txt");
  EXCLUDED (ig, "d\xc3\xa9j\xc3\xa0/x");
  KEPT (ig, "my");
  devenv_ignore_free (ig);
}

Test (dockerignore, bad_pattern_names_file_and_line)
{
  devenv_ignore *ig = NULL;
  sbx_error *err = NULL;
  const char *text = "ok\n\nbad[\n";
  cr_assert (devenv_ignore_parse (text, strlen (text), "/p/.dockerignore", &ig, &err) < 0);
  cr_assert_eq (err->code, SBX_ERR_INVALID);
  cr_assert (strstr (err->msg, "/p/.dockerignore:3"), "%s", err->msg);
  cr_assert (strstr (err->msg, "bad["), "%s", err->msg);
  sbx_error_free (err);
}

/* Where Docker's implementation and its documentation part ways, the
   implementation decides what the engine receives. */
Test (dockerignore, docker_quirks)
{
  /* A re-exclusion after an exception: the client's walk starts d/f from
     d's verdict and never matches the later "d" against d/f again. */
  devenv_ignore *ig = parse ("d\n!d/f\nd\n");
  KEPT (ig, "d/f");
  EXCLUDED (ig, "d/g");
  EXCLUDED (ig, "d");
  devenv_ignore_free (ig);
  /* An excluded directory is entered only when an exception starts with
     its path: an exception with a wildcard before the slash never brings
     d/f back. */
  ig = parse ("d\n!*/f\n");
  EXCLUDED (ig, "d/f");
  KEPT (ig, "e/f");
  devenv_ignore_free (ig);
  /* Characters other than * ? . $ \ keep their regular-expression meaning. */
  ig = parse ("a+b\nx(y|z)\n");
  EXCLUDED (ig, "aab");
  KEPT (ig, "a+b");
  EXCLUDED (ig, "xz");
  KEPT (ig, "x(y|z)");
  devenv_ignore_free (ig);
  /* "**" in the middle, a lone "#" only at a line's start is a comment. */
  ig = parse ("a/**/b\n #x\n");
  EXCLUDED (ig, "a/b");
  EXCLUDED (ig, "a/q/r/b");
  EXCLUDED (ig, "#x");
  devenv_ignore_free (ig);
  /* '?' is one character, not one byte. */
  ig = parse ("?b\n");
  EXCLUDED (ig, "\xc3\xa9"
                "b");
  devenv_ignore_free (ig);
}

Test (dockerignore, refuses_what_it_cannot_match_like_go)
{
  const char *bad[] = { "a\\d\n", "x(\n", "[\\d]\n", "a++\n", "!\n" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      devenv_ignore *ig = NULL;
      sbx_error *err = NULL;
      cr_assert (devenv_ignore_parse (bad[i], strlen (bad[i]), ".dockerignore", &ig, &err) < 0,
                 "'%s' was accepted", bad[i]);
      cr_assert (strstr (err->msg, ".dockerignore:1"), "%s", err->msg);
      sbx_error_free (err);
    }
}

Test (glob, copy_sources_are_filepath_match)
{
  cr_assert (devenv_glob_match ("*.c", "a.c", false));
  cr_assert_not (devenv_glob_match ("*.c", "src/a.c", false));
  cr_assert (devenv_glob_match ("src/*.c", "src/a.c", false));
  cr_assert_not (devenv_glob_match ("**/x", "a/b/x", false));
  cr_assert (devenv_glob_match ("**/x", "a/b/x", true));
  cr_assert (devenv_glob_match ("a/**/b", "a/b", true));
  cr_assert (devenv_glob_match ("a/**/b", "a/x/y/b", true));
  /* filepath.Match: only '^' negates a class */
  cr_assert (devenv_glob_match ("[!x]*.txt", "xa.txt", false));
  cr_assert (devenv_glob_match ("[!x]*.txt", "!a.txt", false));
  cr_assert_not (devenv_glob_match ("[!x]*.txt", "a.txt", false));
  cr_assert (devenv_glob_match ("[^x]*.txt", "a.txt", false));
  cr_assert (devenv_glob_has_magic ("a*"));
  cr_assert_not (devenv_glob_has_magic ("a/b.c"));
}

Test (glob, may_match_below)
{
  cr_assert (devenv_glob_may_match_below ("src/lib/*.c", "src", false));
  cr_assert (devenv_glob_may_match_below ("src/lib/*.c", "src/lib", false));
  cr_assert_not (devenv_glob_may_match_below ("src/lib/*.c", "docs", false));
  cr_assert_not (devenv_glob_may_match_below ("src", "src", false));
  cr_assert (devenv_glob_may_match_below ("*/x", "anything", false));
  cr_assert (devenv_glob_may_match_below ("**/x", "a/b/c", true));
}

Test (glob, path_clean)
{
  struct
  {
    const char *in, *out;
    bool escapes;
  } cases[] = { { "/a/b/", "a/b", false }, { "./a//b/./c", "a/b/c", false },
                { "a/../b", "b", false },  { "", ".", false },
                { "/", ".", false },       { "../x", "x", true },
                { "a/../../x", "x", true } };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      bool esc;
      char *c = devenv_path_clean (cases[i].in, &esc);
      cr_assert_str_eq (c, cases[i].out, "clean(%s)", cases[i].in);
      cr_assert_eq (esc, cases[i].escapes, "escapes(%s)", cases[i].in);
      free (c);
    }
}

Test (dockerignore, many_stars_match_in_bounded_time, .timeout = 10)
{
  /* Found by fuzz/ignore_fuzz: each '*' used to retry every position of
     the ones before it (an exponential number of steps). */
  cr_assert (!devenv_glob_match ("**********************>", "d", false));
  cr_assert (!devenv_glob_match ("*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
                                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false));
  cr_assert (!devenv_glob_match ("**/*a*a*a*a*a*a*a*a*a*a*a*a*b",
                                 "x/y/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true));
  cr_assert (
      devenv_glob_match ("*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaab", false));
  /* Found by fuzz/ignore_fuzz too: a hundred stars against a path of 190
     directories took minutes ("**" after "**" looped again). */
  char path[1024] = "", pat[256] = "";
  for (int i = 0; i < 190; i++)
    strcat (path, i ? "/dx" : "dx");
  for (int i = 0; i < 120; i++)
    strcat (pat, "*");
  strcat (pat, "s/x");
  cr_assert (!devenv_glob_match (pat, path, true));
  cr_assert (!devenv_glob_match (pat, path, false));
  /* Stars in a row mean what fewer of them mean. */
  cr_assert (devenv_glob_match ("****x", "a/b/x", true));
  cr_assert (devenv_glob_match ("**/**/x", "x", true));
  cr_assert (!devenv_glob_match ("****x", "a/bx", true));
  cr_assert (devenv_glob_match ("***x", "a/bx", true));
  cr_assert (devenv_glob_match ("a***b", "axyb", false));
  cr_assert (!devenv_glob_match ("a***b", "ax/yb", false));
  devenv_ignore *ig = NULL;
  sbx_error *err = NULL;
  const char *text = "d\n**\f*d\n**********d\n**********************>\n";
  cr_assert_eq (devenv_ignore_parse (text, strlen (text), ".dockerignore", &ig, &err), 0);
  cr_assert (devenv_ignore_excluded (ig, "d"));
  devenv_ignore_free (ig);
}
