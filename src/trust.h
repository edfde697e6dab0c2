/* trust.h: the user's trust in a project's own configuration files (the
   direnv/mise pattern).

   A project's files (.sbx/config.json, .devcontainer/devcontainer.json,
   .devcontainer.json) may be written by what runs in its sandbox, so what
   they say may only narrow isolation, unless the user trusted that exact
   content with `sbx trust`.  The trust store is a text file in the user's
   state: $XDG_STATE_HOME/sbx/trust (an absolute $XDG_STATE_HOME), else
   ~/.local/state/sbx/trust; the directory is 0700, the file 0600, replaced
   atomically (write, fsync, rename) under a lock.  One line per file:
     <64 hex digits of SHA-256 of the content> <path>
   where path is the project's real path followed by the file's name in the
   project (a symlink at the file's place does not change the key: the bytes
   read there are what is hashed).  A changed file no longer matches and is
   untrusted again.

   A store that is not a regular file owned by the caller, or that group or
   others may write, is not believed (everything is untrusted). */
#ifndef SBX_TRUST_H
#define SBX_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The project files that trust covers, relative to the project, NULL-ended. */
extern const char *const sbx_trust_files[];


/* The path of the trust store (it may not exist). */
int sbx_trust_store_path (char **out, sbx_error **err);

/* Whether data (the bytes just read from path, a project file) is trusted.
   Never fails: a missing or unbelievable store trusts nothing. */
bool sbx_trust_check (const char *path, const void *data, size_t len);

typedef enum
{
  SBX_TRUST_OK = 0,  /* the file is as it was trusted */
  SBX_TRUST_CHANGED, /* the file changed since */
  SBX_TRUST_MISSING, /* the file is gone (or unreadable) */
} sbx_trust_state;

typedef struct sbx_trust_entry
{
  char *path;
  char hash[65];
  sbx_trust_state state; /* filled by sbx_trust_list */
} sbx_trust_entry;

void sbx_trust_entries_free (sbx_trust_entry *e, size_t n);

/* Trust the project's files as they are now: the entries of the project's
   files are replaced by those of the files that exist.  out, n: the
   entries recorded (allocated; *n 0 when the project has none of the
   files). */
int sbx_trust_project (const char *project_dir, sbx_trust_entry **out, size_t *n, sbx_error **err);
/* Forget the project's files; *removed: how many entries went. */
int sbx_trust_revoke (const char *project_dir, size_t *removed, sbx_error **err);
/* Every entry of the store, with its state now. */
int sbx_trust_list (sbx_trust_entry **out, size_t *n, sbx_error **err);

#endif
