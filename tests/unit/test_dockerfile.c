/* The Dockerfile reader (instructions, lines, COPY/ADD sources, stages and
   errors), devcontainer.json (JSONC) and Dockerfile discovery, including the
   default Dockerfile fallback (which file is chosen, and its content), all
   without an engine. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "devenv/devenv.h"
#include "devenv/image/dockerfile.h"
#include "devenv/image/jsonc.h"
#include "testutil.h"
#include "util.h"

static devenv_dockerfile *
parse_ok (const char *text, const char *target)
{
  devenv_dockerfile *df = NULL;
  sbx_error *err = NULL;
  cr_assert (devenv_dockerfile_parse (text, strlen (text), "Dockerfile", target, &df, &err) == 0,
             "%s", err ? err->msg : "");
  return df;
}

static char *
parse_err (const char *text, const char *target)
{
  devenv_dockerfile *df = NULL;
  sbx_error *err = NULL;
  cr_assert (devenv_dockerfile_parse (text, strlen (text), "Dockerfile", target, &df, &err) < 0);
  cr_assert_eq (err->code, SBX_ERR_INVALID);
  char *m = xstrdup (err->msg);
  sbx_error_free (err);
  return m;
}

static bool
has_source (const devenv_dockerfile *df, const char *s)
{
  for (size_t i = 0; i < df->n_sources; i++)
    if (strcmp (df->sources[i], s) == 0)
      return true;
  return false;
}

Test (dockerfile, instructions_lines_continuations_comments)
{
  devenv_dockerfile *df = parse_ok ("# syntax=docker/dockerfile:1\n"
                                    "FROM busybox\n"
                                    "\n"
                                    "# a comment\n"
                                    "RUN echo a \\\n"
                                    "  # comment inside\n"
                                    "  && echo b\n"
                                    "copy x /x\n",
                                    NULL);
  cr_assert_eq (df->n, 3);
  cr_assert_str_eq (df->ins[0].cmd, "FROM");
  cr_assert_eq (df->ins[0].line, 2);
  cr_assert_str_eq (df->ins[1].cmd, "RUN");
  cr_assert_eq (df->ins[1].line, 5);
  cr_assert (strstr (df->ins[1].text, "echo b"), "%s", df->ins[1].text);
  cr_assert_str_eq (df->ins[2].cmd, "COPY");
  cr_assert_eq (df->ins[2].line, 8);
  cr_assert (has_source (df, "x"));
  devenv_dockerfile_free (df);
}

Test (dockerfile, escape_directive)
{
  devenv_dockerfile *df = parse_ok ("# escape=`\nFROM busybox\nCOPY a `\n  b /dst/\n", NULL);
  cr_assert_eq (df->n, 2);
  cr_assert (has_source (df, "a"));
  cr_assert (has_source (df, "b"));
  devenv_dockerfile_free (df);
}

Test (dockerfile, copy_forms_flags_and_from)
{
  devenv_dockerfile *df = parse_ok ("FROM busybox AS build\n"
                                    "COPY --chown=1:1 src/ /app/src/\n"
                                    "COPY [\"with space.txt\", \"/opt/\"]\n"
                                    "ADD https://example.com/x.tgz /tmp/\n"
                                    "ADD local.tgz /tmp/\n"
                                    "COPY /abs/../lib/*.so ./\n"
                                    "FROM busybox\n"
                                    "COPY --from=build /app /app\n"
                                    "COPY --link conf /etc/conf\n",
                                    NULL);
  cr_assert (has_source (df, "src"));
  cr_assert (has_source (df, "with space.txt"));
  cr_assert (has_source (df, "local.tgz"));
  cr_assert (has_source (df, "lib/*.so"));
  cr_assert (has_source (df, "conf"));
  cr_assert_not (has_source (df, "app"), "--from sources are not context files");
  cr_assert_eq (df->n_sources, 5);
  cr_assert_not (df->whole_context);
  devenv_dockerfile_free (df);
}

Test (dockerfile, unresolvable_sources_mean_whole_context)
{
  devenv_dockerfile *df = parse_ok ("FROM busybox\nARG SRC=x\nCOPY $SRC /x\n", NULL);
  cr_assert (df->whole_context);
  cr_assert (strstr (df->whole_reason, "Dockerfile:3"), "%s", df->whole_reason);
  devenv_dockerfile_free (df);
  df = parse_ok ("FROM busybox\nCOPY ../outside /x\n", NULL);
  cr_assert (df->whole_context);
  devenv_dockerfile_free (df);
}

Test (dockerfile, target_stops_after_its_stage)
{
  const char *text = "FROM busybox AS deps\nCOPY deps.txt /\n"
                     "FROM deps AS dev\nCOPY dev.txt /\n"
                     "FROM dev AS prod\nCOPY prod.txt /\n";
  devenv_dockerfile *df = parse_ok (text, "dev");
  cr_assert (has_source (df, "deps.txt"));
  cr_assert (has_source (df, "dev.txt"));
  cr_assert_not (has_source (df, "prod.txt"));
  devenv_dockerfile_free (df);
  df = parse_ok (text, NULL);
  cr_assert (has_source (df, "prod.txt"));
  devenv_dockerfile_free (df);
  char *m = parse_err (text, "nope");
  cr_assert (strstr (m, "'nope'"), "%s", m);
  free (m);
}

static bool
keyed_source (const devenv_dockerfile *df, const char *src)
{
  for (size_t i = 0; i < df->n_sources; i++)
    if (strcmp (df->sources[i], src) == 0)
      return df->source_keyed[i];
  cr_assert_fail ("no source %s", src);
  return false;
}

Test (dockerfile, stages_the_target_reaches)
{
  const char *text = "ARG BASE=busybox\nFROM $BASE AS a\nARG IN_A\nCOPY a.txt /\n"
                     "FROM busybox AS b\nARG IN_B\nCOPY b.txt /\n"
                     "FROM busybox AS c\nCOPY --from=b /x /x\nCOPY c.txt /\n"
                     "FROM busybox AS d\nCOPY d.txt /\n";
  devenv_dockerfile *df = parse_ok (text, "c");
  cr_assert_not (keyed_source (df, "a.txt")); /* built, but not in the image */
  cr_assert (keyed_source (df, "b.txt"));
  cr_assert (keyed_source (df, "c.txt"));
  cr_assert_not (has_source (df, "d.txt")); /* after the target: not built */
  cr_assert_not (memmem (df->key_text, df->key_len, "a.txt", 5));
  cr_assert (memmem (df->key_text, df->key_len, "ARG BASE", 8)); /* before the first FROM */
  cr_assert (memmem (df->key_text, df->key_len, "b.txt", 5));
  bool base = false, in_a = false, in_b = false;
  for (char **a = df->args; *a; a++)
    base |= strcmp (*a, "BASE") == 0, in_a |= strcmp (*a, "IN_A") == 0,
        in_b |= strcmp (*a, "IN_B") == 0;
  cr_assert (base && in_b && !in_a);
  devenv_dockerfile_free (df);
  /* A stage named through a variable may be any earlier one. */
  df = parse_ok ("FROM busybox AS a\nCOPY a.txt /\nFROM busybox\nARG S=a\n"
                 "COPY --from=$S /x /x\n",
                 NULL);
  cr_assert (keyed_source (df, "a.txt"));
  devenv_dockerfile_free (df);
  /* By index. */
  df = parse_ok ("FROM busybox\nCOPY a.txt /\nFROM busybox\nCOPY --from=0 /x /x\n", NULL);
  cr_assert (keyed_source (df, "a.txt"));
  devenv_dockerfile_free (df);
}

Test (dockerfile, errors)
{
  struct
  {
    const char *text, *needle;
  } cases[] = {
    { "", "is empty" },
    { "# only a comment\n\n", "is empty" },
    { "FORM busybox\n", "Dockerfile:1: unknown instruction 'FORM'" },
    { "FROM busybox\nRUN true\nCOPYY a b\n", "Dockerfile:3: unknown instruction 'COPYY'" },
    { "RUN true\n", "Dockerfile:1: the first instruction must be FROM" },
    { "ARG A=1\n", "no FROM" },
    { "FROM busybox\nCOPY onlyone\n", "Dockerfile:2: COPY needs a source and a destination" },
    { "FROM\n", "Dockerfile:1: FROM needs an image" },
    { "FROM busybox\n\0RUN\n", "NUL" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      size_t len = i == 8 ? 18 : strlen (cases[i].text);
      devenv_dockerfile *df = NULL;
      sbx_error *err = NULL;
      cr_assert (devenv_dockerfile_parse (cases[i].text, len, "Dockerfile", NULL, &df, &err) < 0,
                 "case %zu parsed", i);
      cr_assert (strstr (err->msg, cases[i].needle), "case %zu: %s", i, err->msg);
      sbx_error_free (err);
    }
}

/* ---- JSONC ---- */

Test (jsonc, comments_and_trailing_commas)
{
  const char *text = "// devcontainer\n{\n  /* block\n  comment */ \"a\": \"x // not a comment\",\n"
                     "  \"b\": [1, 2,],\n  \"c\": {\"d\": \"/* kept */\",},\n}\n";
  json_t *j = NULL;
  sbx_error *err = NULL;
  cr_assert (devenv_jsonc_parse (text, strlen (text), "dc.json", &j, &err) == 0, "%s",
             err ? err->msg : "");
  cr_assert_str_eq (json_string_value (json_object_get (j, "a")), "x // not a comment");
  cr_assert_eq (json_array_size (json_object_get (j, "b")), 2);
  cr_assert_str_eq (json_string_value (json_object_get (json_object_get (j, "c"), "d")),
                    "/* kept */");
  json_decref (j);
}

Test (jsonc, errors_name_file_line_and_what)
{
  const char *text
      = "{\n  \"build\": {\n    \"dockerfile\": \"Dockerfile\"\n    \"context\": \"..\"\n  }\n}\n";
  json_t *j = NULL;
  sbx_error *err = NULL;
  cr_assert (devenv_jsonc_parse (text, strlen (text), ".devcontainer/devcontainer.json", &j, &err)
             < 0);
  cr_assert (strstr (err->msg, ".devcontainer/devcontainer.json:4:"), "%s", err->msg);
  sbx_error_free (err);
  err = NULL;
  const char *open_comment = "{\n /* never closed\n}\n";
  cr_assert (devenv_jsonc_parse (open_comment, strlen (open_comment), "x.json", &j, &err) < 0);
  cr_assert (strstr (err->msg, "x.json: line 2: unterminated"), "%s", err->msg);
  sbx_error_free (err);
}

/* ---- discovery ---- */

static void
discover_ok (const char *dir, const char *file, devenv_source *s)
{
  sbx_error *err = NULL;
  cr_assert (devenv_discover (dir, file, s, &err) == 0, "%s", err ? err->msg : "");
}

Test (discover, order)
{
  char *p = tu_mkproject ();
  devenv_source s;
  tu_write_file (p, "Dockerfile", "FROM root\n");
  discover_ok (p, NULL, &s);
  cr_assert_eq (s.origin, DEVENV_ORIGIN_ROOT);
  cr_assert_str_eq (s.display, "Dockerfile");
  devenv_source_clear (&s);

  tu_write_file (
      p, ".devcontainer/devcontainer.json",
      "{ // comment\n \"build\": { \"dockerfile\": \"dev.Dockerfile\", \"context\": \"..\",\n"
      "   \"args\": {\"V\": \"1\"}, \"target\": \"dev\", },\n}\n");
  tu_write_file (p, ".devcontainer/dev.Dockerfile", "FROM dev\n");
  discover_ok (p, NULL, &s);
  cr_assert_eq (s.origin, DEVENV_ORIGIN_DEVCONTAINER);
  cr_assert_str_eq (s.display, ".devcontainer/dev.Dockerfile");
  cr_assert_str_eq (s.context, p);
  cr_assert_str_eq (s.args[0], "V=1");
  cr_assert_str_eq (s.target, "dev");
  devenv_source_clear (&s);

  tu_write_file (p, ".sbx/Dockerfile", "FROM sbx\n");
  discover_ok (p, NULL, &s);
  cr_assert_eq (s.origin, DEVENV_ORIGIN_SBX);
  cr_assert_str_eq (s.display, ".sbx/Dockerfile");
  devenv_source_clear (&s);

  tu_write_file (p, "other/Custom", "FROM custom\n");
  _cleanup_free_ char *f = xasprintf ("%s/other/Custom", p);
  discover_ok (p, f, &s);
  cr_assert_eq (s.origin, DEVENV_ORIGIN_FLAG);
  cr_assert_str_eq (s.display, "other/Custom");
  cr_assert_str_eq (s.context, p);
  devenv_source_clear (&s);
  tu_rmrf (p);
  free (p);
}

Test (discover, devcontainer_image_comes_before_the_root_dockerfile)
{
  char *p = tu_mkproject ();
  tu_write_file (p, ".devcontainer/devcontainer.json", "{\"image\": \"debian\"}\n");
  tu_write_file (p, "Dockerfile", "FROM root\n");
  devenv_source s;
  discover_ok (p, NULL, &s);
  cr_assert_eq (s.origin, DEVENV_ORIGIN_DEVCONTAINER);
  cr_assert (strstr (s.dockerfile_text, "\nFROM debian\n"), "%s", s.dockerfile_text);
  devenv_source_clear (&s);
  tu_rmrf (p);
  free (p);
}

Test (discover, malformed_devcontainer_is_an_error)
{
  char *p = tu_mkproject ();
  tu_write_file (p, ".devcontainer/devcontainer.json",
                 "{\n \"build\": {\n  \"dockerfile\": 3\n }\n}\n");
  devenv_source s;
  sbx_error *err = NULL;
  cr_assert (devenv_discover (p, NULL, &s, &err) < 0);
  cr_assert (strstr (err->msg, ".devcontainer/devcontainer.json"), "%s", err->msg);
  cr_assert (strstr (err->msg, "build.dockerfile"), "%s", err->msg);
  sbx_error_free (err);
  tu_rmrf (p);
  free (p);
}

Test (discover, missing_named_file)
{
  char *p = tu_mkproject ();
  devenv_source s;
  sbx_error *err = NULL;
  cr_assert (devenv_discover (p, "/nonexistent/Dockerfile", &s, &err) < 0);
  cr_assert (strstr (err->msg, "/nonexistent/Dockerfile"), "%s", err->msg);
  cr_assert (strstr (err->msg, "No such file"), "%s", err->msg);
  sbx_error_free (err);
  tu_rmrf (p);
  free (p);
}

/* The default Dockerfile: which shipped file is chosen for each kind of
   project, and that it is a real Dockerfile (no base image is pulled). */
Test (discover, default_dockerfile_by_flavour)
{
  unsetenv ("SBX_DOCKERFILES_DIR");
  struct
  {
    const char *marker, *flavour;
  } cases[] = { { NULL, "base" },
                { "Cargo.toml", "rust" },
                { "go.mod", "go" },
                { "package.json", "node" },
                { "pyproject.toml", "python" },
                { "requirements.txt", "python" },
                { "CMakeLists.txt", "c" },
                { "Makefile", "c" } };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *p = tu_mkproject ();
      if (cases[i].marker)
        tu_write_file (p, cases[i].marker, "\n");
      devenv_source s;
      discover_ok (p, NULL, &s);
      cr_assert_eq (s.origin, DEVENV_ORIGIN_DEFAULT);
      cr_assert_str_eq (s.flavour, cases[i].flavour);
      _cleanup_free_ char *want
          = xasprintf ("%s/dockerfiles/%s/Dockerfile", SBX_SOURCE_DIR, cases[i].flavour);
      cr_assert_str_eq (s.dockerfile, want);
      cr_assert_str_eq (s.context, p);
      /* It parses, starts with FROM and copies nothing of the project. */
      FILE *f = fopen (s.dockerfile, "r");
      cr_assert_not_null (f);
      char buf[8192];
      size_t n = fread (buf, 1, sizeof buf, f);
      fclose (f);
      devenv_dockerfile *df = NULL;
      sbx_error *err = NULL;
      cr_assert (devenv_dockerfile_parse (buf, n, s.dockerfile, NULL, &df, &err) == 0, "%s",
                 err ? err->msg : "");
      cr_assert_eq (df->n_sources, 0, "%s copies project files", s.dockerfile);
      cr_assert (strstr (buf, "FROM "), "%s", s.dockerfile);
      devenv_dockerfile_free (df);
      devenv_source_clear (&s);
      tu_rmrf (p);
      free (p);
    }
}

Test (discover, dockerfiles_dir_override)
{
  char *d = tu_mkproject ();
  char *p = tu_mkproject ();
  tu_write_file (d, "base/Dockerfile", "FROM sbx-test/busybox:latest\n");
  setenv ("SBX_DOCKERFILES_DIR", d, 1);
  devenv_source s;
  discover_ok (p, NULL, &s);
  _cleanup_free_ char *want = xasprintf ("%s/base/Dockerfile", d);
  cr_assert_str_eq (s.dockerfile, want);
  devenv_source_clear (&s);
  unsetenv ("SBX_DOCKERFILES_DIR");
  tu_rmrf (d);
  tu_rmrf (p);
  free (d);
  free (p);
}
