/* cmd_run.c: sbx run [--isolation L] [--allow-network] [--ro DIR]... [--rw DIR]...
   [--fallback] -- CMD...

   Runs CMD confined on the host by the backend the level selects here
   (select.h), or in the project container for the container and maximum
   levels.  Flags win over the configuration files. */
#include "cli.h"
#include "cli_project.h"
#include "host/host.h"
#include "select.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx run [--isolation L] [--allow-network] [--ro DIR]... [--rw DIR]...\n"
          "               [--fallback] -- CMD...\n\n"
          "Run CMD confined on this machine by the strongest backend the isolation level\n"
          "has here (Landlock + seccomp, nsjail, bubblewrap), or in the project container\n"
          "for the container and maximum levels.  CMD may read the system, read and write\n"
          "the project and /tmp, and nothing else; network is off unless allowed.\n\n"
          "  --isolation L    off, default, enhanced, container or maximum (default: the\n"
          "                   configuration's, else default)\n"
          "  --allow-network  let CMD use the network\n"
          "  --ro DIR         also let CMD read DIR (repeatable)\n"
          "  --rw DIR         also let CMD read and write DIR (repeatable)\n"
          "  --fallback       accept a weaker level when L cannot be had here (the reason\n"
          "                   is printed with -v); without it sbx refuses with exit 125\n\n"
          "stdin, stdout, stderr and signals pass through; the exit status is CMD's\n"
          "(126: cannot execute, 127: not found, 125: sbx failed).  'sbx doctor' shows\n"
          "what each level selects on this machine.\n");
}

/* Absolute, existing, symlinks resolved (Landlock and bind mounts act on the
   real path). */
static int
real_dir (const char *flag, const char *dir, char **out, sbx_error **err)
{
  char buf[PATH_MAX];
  if (realpath (dir, buf) == NULL)
    return sbx_fail (err, SBX_ERR_INVALID, "%s %s: %s; give an existing directory", flag, dir,
                     strerror (errno));
  *out = xstrdup (buf);
  return 0;
}

static int
resolve_dirs (const char *flag, char **dirs, sbx_error **err)
{
  for (char **d = dirs; d && *d; d++)
    {
      char *r = NULL;
      if (real_dir (flag, *d, &r, err) < 0)
        return -1;
      free (*d);
      *d = r;
    }
  return 0;
}

/* Quote argv for `bash -c` (Seatbelt wraps a command string). */
static char *
shell_join (char *const *argv)
{
  size_t cap = 1;
  for (char *const *a = argv; *a; a++)
    cap += strlen (*a) * 4 + 3;
  char *s = xmalloc (cap), *p = s;
  for (char *const *a = argv; *a; a++)
    {
      if (a != argv)
        *p++ = ' ';
      *p++ = '\'';
      for (const char *c = *a; *c; c++)
        {
          if (*c == '\'')
            {
              memcpy (p, "'\\''", 4);
              p += 4;
            }
          else
            *p++ = *c;
        }
      *p++ = '\'';
    }
  *p = '\0';
  return s;
}

/* The backend "type" in the configuration forces, or NULL ("auto" or none:
   sbx selects). */
static const char *
forced_type (const sbx_config *cfg)
{
  return cfg->type && strcmp (cfg->type, "auto") != 0 ? cfg->type : NULL;
}

/* "type" in the configuration forces a backend (no selection). */
static int
forced_selection (const char *type, sbx_level level, const sbx_probes *p, sbx_selection *s,
                  sbx_error **err)
{
  memset (s, 0, sizeof *s);
  s->requested = s->level = level;
  bool ok = true;
  if (strcmp (type, "none") == 0)
    s->backend = SBX_BACKEND_NONE, s->level = SBX_LEVEL_OFF;
  else if (strcmp (type, "landlock") == 0)
    s->backend = SBX_BACKEND_LANDLOCK, s->seccomp = true, ok = p->landlock_abi > 0 && p->seccomp;
  else if (strcmp (type, "bwrap") == 0)
    s->backend = SBX_BACKEND_BWRAP, s->seccomp = p->seccomp, ok = p->bwrap;
  else if (strcmp (type, "nsjail") == 0)
    s->backend = SBX_BACKEND_NSJAIL, s->seccomp = p->seccomp, ok = p->nsjail;
  else if (strcmp (type, "seatbelt") == 0)
    s->backend = SBX_BACKEND_SEATBELT, s->strict = level >= SBX_LEVEL_ENHANCED, ok = p->seatbelt;
  else if (strcmp (type, "docker") == 0)
    {
      s->backend = level == SBX_LEVEL_MAXIMUM ? SBX_BACKEND_DOCKER_RUNSC : SBX_BACKEND_DOCKER;
      if (s->level < SBX_LEVEL_CONTAINER)
        s->level = SBX_LEVEL_CONTAINER;
      ok = p->engine;
    }
  if (!ok)
    return sbx_fail (err, SBX_ERR_UNAVAILABLE,
                     "the configuration asks for the '%s' backend (\"type\"), which is not "
                     "available here%s%s; see 'sbx doctor', or remove \"type\" to let sbx choose",
                     type, s->backend == SBX_BACKEND_BWRAP && p->bwrap_error[0] ? ": " : "",
                     s->backend == SBX_BACKEND_BWRAP ? p->bwrap_error : "");
  snprintf (s->reason, sizeof s->reason, "backend '%s' forced by the configuration (\"type\")",
            type);
  return 0;
}

/* Ask the engine when the level may need it and it was not asked yet,
   then select (the configuration's "type" wins), saying what was chosen. */
static int
choose (cli_ctx *ctx, const sbx_config *cfg, sbx_level level, bool fallback, sbx_probes *probes,
        sbx_selection *sel, sbx_error **err)
{
  const char *forced = forced_type (cfg);
  if (!probes->engine_probed
      && (forced ? strcmp (forced, "docker") == 0
                 : sbx_select_needs_engine (level, probes, fallback)))
    {
      _cleanup_engine_ engine_client *client = NULL;
      _cleanup_error_ sbx_error *eerr = NULL;
      if (cli_open_engine (ctx, &client, &eerr) < 0)
        sbx_probe_engine (probes, NULL, eerr->msg);
      else
        sbx_probe_engine (probes, client, NULL);
    }
  int r = forced ? forced_selection (forced, level, probes, sel, err)
                 : sbx_select (level, probes, fallback, sel, err);
  if (r < 0)
    return -1;
  if (sel->fallback && ctx->verbosity >= 0)
    fprintf (stderr, "%s: warning: %s\n", ctx->prog, sel->reason);
  else
    cli_verbose (ctx, "isolation %s: %s: %s", sbx_level_name (sel->level),
                 sbx_selection_backend_name (sel), sel->reason);
  return 0;
}

/* Run cmd confined on this host by the selected backend. */
static int
run_on_host (const sbx_config *cfg, const char *project_dir, char **cmd, const sbx_selection *sel,
             int *status, sbx_error **err)
{
  /* The working directory: the current one when it is inside what the
     command may see, else the project. */
  _cleanup_free_ char *workdir = sbx_cwd_within (project_dir);
  host_policy pol = {
    .project_dir = project_dir,
    .allow_write = cfg->allow_write,
    .allow_network = cfg->allow_network,
    .ro_dirs = cfg->read_only_dirs,
    .rw_dirs = cfg->writable_dirs,
    .workdir = workdir,
  };
  host_run_opts ro_opts = { .policy = &pol, .argv = cmd, .seccomp = sel->seccomp };
  _cleanup_strv_ char **wrapped = NULL;
  _cleanup_free_ char *profile = NULL;
  _cleanup_free_ char *joined = NULL;
  switch (sel->backend)
    {
    case SBX_BACKEND_NONE:
      ro_opts.confine = HOST_CONFINE_NONE;
      break;
    case SBX_BACKEND_LANDLOCK:
      ro_opts.confine = HOST_CONFINE_LANDLOCK;
      break;
    case SBX_BACKEND_BWRAP:
      ro_opts.confine = HOST_CONFINE_BWRAP;
      break;
    case SBX_BACKEND_NSJAIL:
      ro_opts.confine = HOST_CONFINE_NSJAIL;
      break;
    case SBX_BACKEND_SEATBELT:
      {
        host_seatbelt_mode mode = sel->strict ? HOST_SEATBELT_STRICT : HOST_SEATBELT_WORKSPACE;
        profile = host_seatbelt_profile (&pol, mode);
        joined = shell_join (cmd);
        wrapped = host_seatbelt_wrap_command (mode, profile, joined);
        ro_opts.confine = HOST_CONFINE_NONE;
        ro_opts.argv = wrapped;
        break;
      }
    default:
      return sbx_fail (err, SBX_ERR_INVALID, "backend %s does not run on the host",
                       sbx_selection_backend_name (sel));
    }
  /* Nothing is left to do here after the command: without bwrap or nsjail
     in between, sbx becomes the command (no child to wait for, signals
     reach it directly). */
  if (ro_opts.confine == HOST_CONFINE_NONE)
    return host_exec (&ro_opts, status, err);
  return host_run (&ro_opts, status, err);
}

int
cmd_run (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "isolation", required_argument, 0, 'i' },
                                         { "allow-network", no_argument, 0, 'n' },
                                         { "ro", required_argument, 0, 'r' },
                                         { "rw", required_argument, 0, 'w' },
                                         { "fallback", no_argument, 0, 'f' },
                                         { "help", no_argument, 0, 'h' },
                                         { 0, 0, 0, 0 } };
  _cleanup_error_ sbx_error *err = NULL;
  const char *isolation = NULL;
  bool allow_network = false, fallback = false;
  _cleanup_strv_ char **ro = NULL;
  _cleanup_strv_ char **rw = NULL;
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 'i':
        isolation = optarg;
        break;
      case 'n':
        allow_network = true;
        break;
      case 'r':
        strv_append (&ro, optarg);
        break;
      case 'w':
        strv_append (&rw, optarg);
        break;
      case 'f':
        fallback = true;
        break;
      }
  if (ch == CLI_OPT_RETURN)
    return rc;
  if (optind >= argc)
    return cli_usage_error (ctx, "no command given (sbx run [OPTIONS] -- CMD...)");
  char **cmd = argv + optind;

  sbx_level level = SBX_LEVEL_DEFAULT;
  if (isolation && sbx_level_parse (isolation, &level, &err) < 0)
    return cli_usage_error (ctx, "%s", err->msg);

  __attribute__ ((cleanup (sbx_config_clear))) sbx_config cfg = { 0 };
  _cleanup_free_ char *project_dir = NULL;
  if (cli_open_project_dir (ctx, &project_dir, &cfg, &err) < 0)
    return cli_report (ctx, err);

  if (isolation == NULL)
    level = cfg.enabled ? cfg.isolation : SBX_LEVEL_OFF;
  if (allow_network)
    cfg.allow_network = true;
  for (char **d = ro; d && *d; d++)
    strv_append (&cfg.read_only_dirs, *d);
  for (char **d = rw; d && *d; d++)
    strv_append (&cfg.writable_dirs, *d);
  if (resolve_dirs ("--ro", cfg.read_only_dirs, &err) < 0
      || resolve_dirs ("--rw", cfg.writable_dirs, &err) < 0)
    return cli_report (ctx, err);

  /* Probe only what the level can use: the default level does not pay for
     a bwrap run or an engine round trip when Landlock is here.  bwrap is
     taken as working when installed; running it tells (the command has not
     started when it cannot create its sandbox), and the choice is made
     again without it. */
  sbx_probes probes;
  sbx_probe_host (&probes, false);
  const char *forced = forced_type (&cfg);
  if (forced ? strcmp (forced, "bwrap") == 0 : sbx_select_needs_bwrap (level, &probes, fallback))
    sbx_probe_bwrap_installed (&probes);
  for (bool again = false;; again = true)
    {
      sbx_selection sel;
      if (choose (ctx, &cfg, level, fallback, &probes, &sel, &err) < 0)
        return cli_report (ctx, err);
      if (again && !sel.fallback && ctx->verbosity >= 0)
        fprintf (stderr, "%s: bwrap could not create its sandbox here; level %s runs with %s\n",
                 ctx->prog, sbx_level_name (sel.level), sbx_selection_backend_name (&sel));
      if (sel.backend == SBX_BACKEND_DOCKER || sel.backend == SBX_BACKEND_DOCKER_RUNSC)
        {
          /* stdin passed on, as the host backends do. */
          cli_exec_opts eo = { .argv = cmd, .stdin = true, .level = sel.level, .level_set = true,
                               .cfg = &cfg };
          return cli_exec_in_project (ctx, &eo);
        }
      int status = SBX_EXIT_ERROR;
      if (run_on_host (&cfg, project_dir, cmd, &sel, &status, &err) == 0)
        return status;
      if (sel.backend != SBX_BACKEND_BWRAP || err->code != SBX_ERR_UNAVAILABLE)
        {
          cli_report (ctx, err);
          return status;
        }
      sbx_probe_bwrap_failed (&probes, err->msg);
      sbx_error_freep (&err);
    }
}
