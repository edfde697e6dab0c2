/* swap.c: gap-free replacement of the project container.

   Timeline, as a concurrent `sbx exec` sees it:
     1. old has the project name; new starts as <name>-next-<t> and must
        answer an exec before anything else happens;
     2. old is renamed <name>-old-<t>: for the few milliseconds until 3.,
        no container has the name, and devenv_container_find falls back to
        the newest running container with the project label: new;
     3. new is renamed <name>: every lookup finds it;
     4. execs still running in old are waited for (bounded), then old is
        removed.
   A per-project lock serializes swaps; its file is removed at the end, so
   a file whose lock can be taken marks an interrupted swap, repaired by
   devenv_swap_recover. */
#include "devenv/container/container.h"
#include "devenv/container/exec_auto.h"
#include "lock.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Polling periods (ms). */
#define DRAIN_POLL_MS 20    /* counting the old container's commands */
#define REMOVE_RETRY_MS 100 /* removing a container the engine still creates */
#define REMOVE_RETRIES 50

void
devenv_swap_result_clear (devenv_swap_result *r)
{
  free (r->old_image);
  free (r->new_id);
  memset (r, 0, sizeof *r);
}

static int
answers_exec (engine_client *c, const char *id, const devenv_spec *spec, sbx_error **err)
{
  char *const argv[] = { "true", NULL };
  _cleanup_free_ char *user = xasprintf ("%u:%u", (unsigned) spec->uid, (unsigned) spec->gid);
  devenv_exec_opts o = { .argv = argv, .user = user, .workdir = spec->project->dir,
                         .timeout_ms = 30000 };
  devenv_exec_result r;
  /* Through the new container's agent when it answers (milliseconds; the
     exec API takes a hundred), which is also what commands will use. */
  if (devenv_exec_probe (c, spec->project, id, &o, &r, err) < 0)
    return -1;
  if (r.exit_code != 0)
    return sbx_fail (err, SBX_ERR_ENGINE,
                     "the new container does not run commands (a test exec exited %d)", r.exit_code);
  return 0;
}

static int recover_locked (engine_client *c, const sbx_project *p, int lock_fd, sbx_error **err);

static int
swap_locked (engine_client *c, const devenv_spec *spec, long drain_ms, bool force, int lock_fd,
             devenv_swap_result *res, long t0, sbx_error **err)
{
  const sbx_project *p = spec->project;

  _cleanup_json_ json_t *img = NULL;
  _cleanup_ctr_ devenv_ctr old = { 0 };
  if (devenv_container_find (c, p, &old, err) < 0)
    return -1;
  if (engine_image_inspect (c, spec->image, &img, err) < 0)
    return sbx_error_prefix (err, "image %s", spec->image);
  if (!old.json)
    {
      /* Nothing to replace: start the project container. */
      if (devenv_container_ensure (c, spec, &res->new_id, NULL, err) < 0)
        return -1;
      res->swapped = true;
      res->total_ms = res->ready_ms = sbx_now_ms () - t0;
      return 0;
    }
  const char *old_id = old.id;
  res->old_image = xstrdup (old.image ? old.image : "");
  const char *old_image_id = old.image_id;
  const char *new_image_id = json_string_value (json_object_get (img, "Id"));
  bool same_level = !devenv_ctr_mismatch (&old, NULL, &spec->level, NULL, NULL);
  /* A changed devcontainer.json runtime (environment, commands, ports) is
     a reason to swap too. */
  const char *want_rt = spec->rt && spec->rt->digest ? spec->rt->digest : "";
  bool same_rt = strcmp (old.devcontainer ? old.devcontainer : "", want_rt) == 0;
  if (!force && old.running && same_level && same_rt && old_image_id && new_image_id
      && strcmp (old_image_id, new_image_id) == 0)
    {
      res->new_id = xstrdup (old_id);
      res->total_ms = sbx_now_ms () - t0;
      return 0;
    }

  /* Two containers cannot hold the same port on 127.0.0.1: a container
     that publishes ports is replaced with a gap, by up, not by a swap. */
  if ((old.ports && *old.ports) || (spec->rt && spec->rt->n_ports))
    return sbx_fail (err, SBX_ERR_CONFLICT,
                     "%s publishes ports (%s); a swap cannot hand them over without a gap; "
                     "'sbx down' then 'sbx up' replaces it, and the old container keeps serving "
                     "until then",
                     p->container_name, old.ports && *old.ports ? old.ports : "devcontainer.json");

  /* 1. the new container, under a temporary name, answering. */
  char stamp[13];
  sbx_random_hex (stamp, 6);
  _cleanup_free_ char *next_name = xasprintf (DEVENV_SWAP_NEXT_FMT, p->container_name, stamp);
  _cleanup_free_ char *old_name = xasprintf (DEVENV_SWAP_OLD_FMT, p->container_name, stamp);
  /* Recorded in the lock file: if this process dies while the engine still
     creates the container, recovery knows what to wait for. */
  if (ftruncate (lock_fd, 0) < 0 || pwrite (lock_fd, next_name, strlen (next_name), 0) < 0)
    return sbx_fail_errno (err, errno, "recording the swap in its lock file");
  _cleanup_free_ char *new_id = NULL;
  if (devenv_container_create_started (c, spec, next_name, &new_id, err) < 0)
    return sbx_error_prefix (err, "swap aborted, %s keeps serving", p->container_name);
  if (answers_exec (c, new_id, spec, err) < 0)
    {
      engine_container_remove (c, new_id, true, NULL);
      return sbx_error_prefix (err, "swap aborted, %s keeps serving", p->container_name);
    }
  res->ready_ms = sbx_now_ms () - t0;

  /* 2. and 3. */
  if (engine_container_rename (c, old_id, old_name, err) < 0)
    {
      engine_container_remove (c, new_id, true, NULL);
      return sbx_error_prefix (err, "swap aborted, %s keeps serving", p->container_name);
    }
  if (engine_container_rename (c, new_id, p->container_name, err) < 0)
    {
      /* Put the old one back; the new one goes. */
      engine_container_rename (c, old_id, p->container_name, NULL);
      engine_container_remove (c, new_id, true, NULL);
      return sbx_error_prefix (err, "swap aborted, %s keeps serving", p->container_name);
    }
  res->new_id = steal_pointer (&new_id);
  res->swapped = true;

  /* 4. drain, bounded, then remove. */
  long deadline = sbx_now_ms () + drain_ms;
  int n = 0, first = -1;
  for (;;)
    {
      sbx_error *e = NULL;
      if (devenv_container_running_commands (c, old_id, &n, &e) < 0)
        {
          sbx_error_free (e);
          n = 0;
          break;
        }
      if (first < 0)
        first = n;
      if (n == 0 || sbx_now_ms () >= deadline)
        break;
      sbx_sleep_ms (DRAIN_POLL_MS);
    }
  res->drained = first > 0 ? first - n : 0;
  res->cut = n;
  sbx_error *e = NULL;
  if (engine_container_remove (c, old_id, true, &e) < 0 && e->code != SBX_ERR_NOT_FOUND)
    {
      *err = e;
      return sbx_error_prefix (err, "swapped, but removing the old container %s failed", old_name);
    }
  sbx_error_free (e);
  res->total_ms = sbx_now_ms () - t0;
  return 0;
}

int
devenv_swap (engine_client *c, const devenv_spec *spec, long drain_ms, bool force,
             devenv_swap_result *res, sbx_error **err)
{
  memset (res, 0, sizeof *res);
  long t0 = sbx_now_ms ();
  _cleanup_free_ char *lock_path = NULL;
  int lock_fd = -1;
  if (sbx_lock_path (spec->project->id, "swap", true, &lock_path, err) < 0
      || sbx_lock_acquire (lock_path, true, &lock_fd, NULL, err) < 0)
    return -1;
  /* Every return of swap_locked leaves one project container (or the old one
     untouched): the lock file can go.  Only a process killed inside leaves
     it behind, for devenv_swap_recover. */
  /* Under the lock no other swap runs: any project container but the
     current one is a leftover of a swap that was killed. */
  int ret = recover_locked (c, spec->project, lock_fd, err);
  if (ret == 0)
    ret = swap_locked (c, spec, drain_ms, force, lock_fd, res, t0, err);
  sbx_lock_release (lock_path, &lock_fd);
  return ret;
}

int
devenv_swap_recover (engine_client *c, const sbx_project *p, sbx_error **err)
{
  _cleanup_free_ char *lock_path = NULL;
  struct stat st;
  if (sbx_lock_path (p->id, "swap", false, &lock_path, err) < 0)
    return -1;
  if (stat (lock_path, &st) < 0)
    return 0; /* no swap was interrupted: the usual, cheap case */
  int fd = -1;
  bool stale = false;
  if (sbx_lock_acquire (lock_path, false, &fd, &stale, err) < 0)
    return -1;
  if (fd < 0)
    return 0; /* a swap is running: it owns the containers */
  int ret = stale ? recover_locked (c, p, fd, err) : 0;
  sbx_lock_release (lock_path, &fd);
  return ret;
}

/* Remove a container that a killed swap's create request may still be
   bringing into being (the request outlives its client): until the engine
   has finished, it may list the container, or not, and answer "no such
   container" to a removal.  Retry that for a few seconds. */
static void
remove_being_created (engine_client *c, const char *ref)
{
  for (int k = 0; k < REMOVE_RETRIES; k++)
    {
      sbx_error *e = NULL;
      if (engine_container_remove (c, ref, true, &e) == 0)
        return;
      bool missing = e->code == SBX_ERR_NOT_FOUND;
      sbx_error_free (e);
      if (!missing)
        return;
      sbx_sleep_ms (REMOVE_RETRY_MS);
    }
}

/* The container a killed swap was creating, as its lock file recorded it:
   when the file is recent, the engine may still be creating it; wait for
   it to appear, and remove it. */
static void
remove_in_flight (engine_client *c, const sbx_project *p, int lock_fd, const devenv_ctrs *list)
{
  char name[512];
  ssize_t n = pread (lock_fd, name, sizeof name - 1, 0);
  struct stat st;
  if (n <= 0 || fstat (lock_fd, &st) < 0)
    return;
  name[n] = '\0';
  if (strncmp (name, p->container_name, strlen (p->container_name)) != 0)
    return;
  for (size_t i = 0; i < list->n; i++)
    if (list->v[i].name && strcmp (list->v[i].name, name) == 0)
      return; /* listed: removed with the others */
  if (time (NULL) - st.st_mtime > 10)
    return;
  remove_being_created (c, name);
}

static int
recover_locked (engine_client *c, const sbx_project *p, int lock_fd, sbx_error **err)
{
  _cleanup_free_ char *label = xasprintf ("%s=%s", DEVENV_LABEL_PROJECT, p->dir);
  _cleanup_ctrs_ devenv_ctrs list = { 0 };
  if (devenv_ctr_list (c, label, true, &list, err) < 0)
    return -1;
  remove_in_flight (c, p, lock_fd, &list);
  /* Keep the one with the project's name, else the newest running one. */
  const devenv_ctr *keep = NULL;
  for (size_t i = 0; i < list.n; i++)
    if (list.v[i].name && strcmp (list.v[i].name, p->container_name) == 0)
      keep = &list.v[i];
  if (!keep)
    for (size_t i = 0; i < list.n; i++)
      if (list.v[i].running && (!keep || list.v[i].created > keep->created))
        keep = &list.v[i];
  for (size_t i = 0; i < list.n; i++)
    {
      const devenv_ctr *ct = &list.v[i];
      if (ct == keep)
        continue;
      sbx_error *e = NULL;
      if (devenv_ctr_in_state (ct, "created"))
        remove_being_created (c, ct->id);
      else if (engine_container_remove (c, ct->id, true, &e) < 0)
        sbx_error_free (e);
    }
  if (keep && (!keep->name || strcmp (keep->name, p->container_name) != 0))
    if (engine_container_rename (c, keep->id, p->container_name, err) < 0)
      return sbx_error_prefix (err, "repairing an interrupted swap");
  return 0;
}
