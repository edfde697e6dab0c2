/* ignore_fuzz.c: libFuzzer target for .dockerignore and the glob matcher:
   "PATH\0TEXT": TEXT parsed as a .dockerignore, then PATH (cleaned) asked
   of it, and whether each parent directory may hold a re-included path; each line of TEXT is also
   matched as a glob against PATH, with and without '**'. */
#include "fuzz.h"

#include "devenv/image/glob.h"
#include "devenv/image/ignore.h"
#include "error.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *path;
  const uint8_t *text;
  size_t len;
  fuzz_split (data, size, &path, &text, &len);
  bool escapes = false;
  char *clean = devenv_path_clean (path, &escapes);

  sbx_error *err = NULL;
  devenv_ignore *ig = NULL;
  if (devenv_ignore_parse ((const char *) text, len, ".dockerignore", &ig, &err) == 0)
    {
      if (clean && !escapes)
        {
          /* excluded looks at the parents itself. */
          (void) devenv_ignore_excluded (ig, clean);
          for (char *slash = strrchr (clean, '/'); slash; slash = strrchr (clean, '/'))
            {
              *slash = '\0';
              (void) devenv_ignore_descend (ig, clean);
              (void) devenv_ignore_match (ig, clean, 0);
            }
        }
      (void) devenv_ignore_count (ig);
      devenv_ignore_free (ig);
    }
  else
    sbx_error_free (err);

  /* Each line as a pattern on its own. */
  char *all = fuzz_strndup (text, len);
  for (char *line = all, *next; line; line = next)
    {
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      sbx_error *e = NULL;
      if (devenv_glob_check (line, &e) == 0)
        {
          (void) devenv_glob_has_magic (line);
          (void) devenv_glob_match (line, path, true);
          (void) devenv_glob_match (line, path, false);
          (void) devenv_glob_may_match_below (line, path, true);
        }
      else
        sbx_error_free (e);
    }
  free (all);
  free (clean);
  free (path);
  return 0;
}
