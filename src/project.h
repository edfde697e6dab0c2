/* project.h: a project's identity: its directory (the nearest ancestor of
   the given directory that looks like a project, else the directory
   itself), its id (first 12 hex digits of
   SHA-256 of the real path) and the names derived from them. */
#ifndef SBX_PROJECT_H
#define SBX_PROJECT_H

#include "error.h"

#include <stdbool.h>

typedef struct sbx_project
{
  char *dir;            /* real, absolute path */
  char *id;             /* 12 hex digits */
  char *basename;       /* sanitized: [a-z0-9_.-], never empty */
  char *container_name; /* SBX_CONTAINER_NAME_FMT: sbx-<basename>-<id> */
  char *image_repo;     /* SBX_IMAGE_REPO_FMT: sbx-devenv/<basename>-<id> */
} sbx_project;

/* The names a project has in the engine, from its basename and id.  Every
   other name and tag sbx gives is derived from these two in
   devenv/labels.h. */
#define SBX_CONTAINER_NAME_FMT "sbx-%s-%s"
#define SBX_IMAGE_REPO_FMT "sbx-devenv/%s-%s"

/* The project directory only (no identity computed): the real path of dir
   when explicit_dir, else of the nearest ancestor of dir (itself included)
   holding .git, .sbx, .devcontainer, .devcontainer.json or a Dockerfile,
   else of dir itself.  Unless explicit_dir, /, /tmp, $HOME and the
   ancestors of $HOME are refused (SBX_ERR_INVALID, naming --project). */
int sbx_project_locate (const char *dir, int explicit_dir, char **root, sbx_error **err);

/* dir NULL: the current directory.  explicit: dir was given by the user with
   --project and is used as is (no git-root search). */
int sbx_project_open (const char *dir, int explicit_dir, sbx_project **out, sbx_error **err);
void sbx_project_free (sbx_project *p);
void sbx_project_freep (sbx_project **p);
#define _cleanup_project_ __attribute__ ((cleanup (sbx_project_freep)))

/* Paths of a project that run code on the host or set sbx's confinement
   (relative, NULL-terminated): read-only inside every sandbox, at every
   level but off. */
extern const char *const sbx_protected_default[];
/* The protected paths of a project (absolute, allocated, NULL-terminated):
   sbx_protected_default, then extra (the configuration's; relative ones are
   taken in the project).  Those that exist when a sandbox starts are bound
   read-only; .git/hooks and .git/info are made first when the project's
   .git is a directory of the caller's without them.  Those that do not
   exist are watched while the sandbox lives (agent/guard.h) when
   sbx_protected_watched says so. */
int sbx_protected_paths (const char *project_dir, char *const *extra, char ***out,
                         sbx_error **err);
/* Whether a command that creates path (one of the protected paths of the
   project at project_dir) is stopped: all but .sbx, .devcontainer and
   .devcontainer.json, which sbx reads only under its trust rules. */
bool sbx_protected_watched (const char *project_dir, const char *path);

#endif
