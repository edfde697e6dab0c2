/* plants.c: see plants.h. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plants.h"
#include "util.h"

void
tu_git (tu_result *r, const char *dir, const char *a, const char *b)
{
  char *argv[] = { "/usr/bin/git", (char *) a, (char *) b, NULL };
  tu_run (r, dir, NULL, NULL, 60, argv);
}

char *
tu_evil_repo (void)
{
  char *proj = tu_mkproject ();
  tu_result r;
  tu_git (&r, proj, "init", "-q");
  cr_assert_eq (r.status, 0, "git init: %s", r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *cp = xasprintf ("cp -r '%s/.git' '%s/evil'", proj, proj);
  cr_assert_eq (system (cp), 0);
  tu_write_file (proj, "evil/config",
                 "[core]\n\trepositoryformatversion = 0\n\tfsmonitor = \"echo " TU_PLANT_MARKER
                 " >&2; false\"\n");
  _cleanup_free_ char *evil = xasprintf ("%s/evil\n", proj);
  tu_write_file (proj, ".git/commondir", evil);
  tu_git (&r, proj, "status", NULL);
  cr_assert_not_null (strstr (r.err, TU_PLANT_MARKER), "the planted git dir does not work: %s",
                      r.err);
  tu_result_clear (&r);
  _cleanup_free_ char *commondir = xasprintf ("%s/.git/commondir", proj);
  cr_assert_eq (unlink (commondir), 0);
  return proj;
}

const tu_plant tu_plants[] = {
  { "printf '%1$s/evil\\n' > .git/commondir; sleep 30; echo SURVIVED", ".git/commondir" },
  { "printf '%1$s/evil\\n' > f; mv f .git/commondir; sleep 30; echo SURVIVED", ".git/commondir" },
  { "ln -s %1$s.target .git/commondir; sleep 30; echo SURVIVED", ".git/commondir" },
  { "printf '[core]\\n\\tfsmonitor = echo " TU_PLANT_MARKER
    "\\n' > .git/config.worktree; sleep 30; echo SURVIVED",
    ".git/config.worktree" },
  { "mkdir -p .git/commondir/x && printf '#!/bin/sh\\necho " TU_PLANT_MARKER
    "\\n' > .git/commondir/x/post-checkout; sleep 30; echo SURVIVED",
    ".git/commondir" },
};
const size_t tu_n_plants = sizeof tu_plants / sizeof tu_plants[0];
