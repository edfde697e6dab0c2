/* guard.h: the watch over protected paths that did not exist when a
   sandbox started, shared by sbx's host levels (the supervising parent of
   host_run) and sbx-agent (PID 1 of the project container).  libc only.

   A bind mount cannot make a missing name read-only, so the parents of the
   missing ones are watched (inotify) for as long as the sandbox lives: a
   name that appears is removed at once (never following a symlink, a
   directory with its whole tree) and the caller ends the sandboxed
   commands, then sweeps once more (sbx_guard_sweep) and reports
   (sbx_guard_message).  Which paths are watched is the caller's list
   (sbx_protected_watched in project.h). */
#ifndef SBX_AGENT_GUARD_H
#define SBX_AGENT_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#define SBX_GUARD_MAX 24 /* watched paths; more are ignored */

/* sbx-agent, PID 1 of the project container, exits with SBX_GUARD_EXIT + k
   after it removed the path it was given k-th (0-based) and ended every
   other process (so that the container's exit code names it), with
   SBX_GUARD_EXIT_PARENT + k when the directory of that path went. */
#define SBX_GUARD_EXIT 64
#define SBX_GUARD_EXIT_PARENT (SBX_GUARD_EXIT + SBX_GUARD_MAX)

typedef struct sbx_guard
{
  int fd; /* inotify, or -1 when nothing is watched */
  size_t n;
  struct
  {
    int wd;           /* the watch of the parent */
    int dir;          /* the parent, opened when the watch started (O_PATH) */
    char *path;       /* the whole path (allocated) */
    const char *name; /* its last component, in path */
    bool gone;        /* its directory went, or it is forgotten */
    int arg;          /* its index in the list given to sbx_guard_start */
  } e[SBX_GUARD_MAX];
  /* Asked before a name that appeared is removed: true when it was made
     outside the sandbox (it is then forgotten, not removed).  NULL: never. */
  bool (*outside) (void *ud);
  void *outside_ud;
  /* The first violation: which path, whether its parent went (removed or
     renamed: nothing can be watched there any more), and the error of its
     removal (0: removed). */
  int hit; /* index in e, or -1 */
  bool hit_parent;
  int hit_errno;
} sbx_guard;

/* Watch every absolute path of paths (NULL-terminated) that does not exist
   now and whose parent is a directory.  Never fails: what cannot be
   watched (no inotify) leaves g->fd -1 and sbx_guard_watching false. */
void sbx_guard_start (sbx_guard *g, char *const *paths);
/* Whether some path is watched (g->fd is then the descriptor to poll). */
bool sbx_guard_watching (const sbx_guard *g);
/* Handle the pending events (non-blocking): remove each watched name that
   appeared.  true when a violation was found (recorded in g->hit). */
bool sbx_guard_check (sbx_guard *g);
/* Remove every watched name that exists now (after the commands were
   ended; also what an overflowed event queue hid).  true when one did. */
bool sbx_guard_sweep (sbx_guard *g);
/* The report of the first violation, without the "sbx: " prefix, in buf;
   an empty string when there was none. */
void sbx_guard_message (const sbx_guard *g, char *buf, size_t size);
/* The same report, of path: parent when its directory went, errnum the
   error of its removal (0: removed). */
void sbx_guard_format (const char *path, bool parent, int errnum, char *buf, size_t size);
/* Forget the path at index i (it is the user's, made outside the
   sandbox): its name is neither removed nor reported any more. */
void sbx_guard_forget (sbx_guard *g, int i);
void sbx_guard_end (sbx_guard *g);

/* Remove name in the directory dirfd: a file or symlink (the link itself),
   or a directory with its whole tree, opening each directory relative to
   its parent with O_NOFOLLOW|O_DIRECTORY so that no symlink leads outside.
   At most 128 levels deep.  0, or -errno (ENOENT when name is not
   there). */
int sbx_guard_remove (int dirfd, const char *name);

#endif
