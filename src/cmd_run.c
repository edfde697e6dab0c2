/* cmd_run.c: sbx run [--isolation L] [--runtime R] [--allow-network] [--ro DIR]...
   [--rw DIR]... [--allow-unix-socket PATH]... [--env NAME]... [--fallback] -- CMD...

   Runs CMD confined on the host by the backend the level selects here
   (select.h), or in the project container for the container and maximum
   levels.  Flags win over the configuration files; a level asked for (flag
   or "isolation" in a file) is never weakened by a file: a "type" or
   "enabled": false that would give less is an error (125) naming the file.
   The command's environment leaves out what looks like a credential unless
   named (envfilter.h). */
#include "cli.h"
#include "cli_project.h"
#include "envfilter.h"
#include "host/host.h"
#include "select.h"
#include "trust.h"
#include "userdirs.h"
#include "project.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void
help (void)
{
  printf ("usage: sbx run [--isolation L] [--runtime R] [--allow-network] [--ro DIR]...\n"
          "               [--rw DIR]... [--allow-unix-socket PATH]... [--env NAME]...\n"
          "               [--fallback] -- CMD...\n\n"
          "Run CMD confined on this machine by the strongest backend the isolation level\n"
          "has here (Landlock + seccomp, nsjail, bubblewrap), or in the project container\n"
          "for the container and maximum levels.  CMD may read the system, read and write\n"
          "the project and /tmp, and nothing else; network is off unless allowed.\n\n"
          "  --isolation L    off, default, enhanced, container or maximum (default: the\n"
          "                   configuration's, else default); no file can weaken it\n"
          "  --runtime R      the gVisor runtime for maximum (default: runsc); it must run\n"
          "                   runsc, whatever its name\n"
          "  --allow-network  let CMD use the network\n"
          "  --ro DIR         also let CMD read DIR (repeatable)\n"
          "  --rw DIR         also let CMD read and write DIR (repeatable)\n"
          "  --allow-unix-socket PATH\n"
          "                   let CMD connect to the Unix socket PATH (repeatable)\n"
          "  --env NAME       pass the variable NAME although it looks like a credential\n"
          "                   (repeatable; NAME=VALUE sets it; PREFIX* passes a family)\n"
          "  --fallback       accept a weaker level when L cannot be had here (the reason\n"
          "                   is printed with -v); without it sbx refuses with exit 125\n\n"
          "Environment: CMD gets this environment without the variables whose name looks\n"
          "like a credential: names holding TOKEN, SECRET, PASSWORD, PASSWD, PASSPHRASE,\n"
          "CREDENTIAL, PRIVATE, COOKIE or AUTH (not AUTHOR), or a word KEY/KEYS or ending\n"
          "in KEY (API_KEY, APIKEY); names starting with AWS_, AZURE_, GOOGLE_, GCP_,\n"
          "GCLOUD_, CLOUDSDK_, VAULT_, DOCKER_, SSH_, GPG_, KUBE, OP_; GNUPGHOME, NETRC,\n"
          "DATABASE_URL.  --env NAME and the configuration's \"pass_env\" pass them.  At\n"
          "the container levels only the named variables reach CMD.\n\n"
          "A project's own .sbx/config.json may only narrow isolation unless you trusted\n"
          "it ('sbx trust'); a key it cannot apply is named on stderr.\n\n"
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

/* Whether the forced backend type gives at least level (the backends the
   level may select, select.h). */
static bool
type_gives (const char *type, sbx_level level)
{
  switch (level)
    {
    case SBX_LEVEL_OFF:
      return true;
    case SBX_LEVEL_DEFAULT:
    case SBX_LEVEL_ENHANCED:
      return strcmp (type, "none") != 0;
    case SBX_LEVEL_CONTAINER:
    case SBX_LEVEL_MAXIMUM:
      return strcmp (type, "docker") == 0;
    }
  return false;
}

/* A level asked for (flag, or "isolation" in a file) is never weakened by a
   file: "enabled": false or a "type" below it is an error naming the file
   and key. */
static int
check_level (const sbx_config *cfg, sbx_level level, const char *asked_by, sbx_error **err)
{
  if (level == SBX_LEVEL_OFF)
    return 0;
  if (!cfg->enabled)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s: \"enabled\": false turns isolation off, but %s asks for isolation "
                     "'%s'; remove \"enabled\" from the file, or ask for --isolation off",
                     cfg->enabled_from ? cfg->enabled_from : "the configuration", asked_by,
                     sbx_level_name (level));
  const char *forced = forced_type (cfg);
  if (forced && !type_gives (forced, level))
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s: \"type\": \"%s\" is weaker than isolation '%s' asked for by %s; "
                     "remove \"type\" from the file to let sbx choose, or ask for a lower level",
                     cfg->type_from ? cfg->type_from : "the configuration", forced,
                     sbx_level_name (level), asked_by);
  return 0;
}

/* Run cmd confined on this host by the selected backend. */
static int
run_on_host (const sbx_config *cfg, const char *project_dir, char **cmd, const sbx_selection *sel,
             char *const *env, int *status, sbx_error **err)
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
    .deny_read = cfg->deny_read,
    .allow_unix_sockets = cfg->allow_unix_sockets,
  };
  _cleanup_free_ char *home = sbx_user_home ();
  pol.home = home;
  /* The protected paths: the default list and the configuration's. */
  _cleanup_strv_ char **protected = NULL;
  if (project_dir
      && sbx_protected_paths (project_dir, cfg->protected_paths, &protected, err) < 0)
    return -1;
  pol.protected_paths = protected;
  host_run_opts ro_opts = { .policy = &pol,
                            .argv = cmd,
                            .seccomp = sel->seccomp,
                            .env = env,
                            .max_memory_mb = cfg->max_memory_mb };
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

/* Resolve what exists (symlinks too: the host layer acts on the real
   path); keep the rest as given. */
static void
resolve_sockets (char **paths)
{
  for (char **d = paths; d && *d; d++)
    {
      char buf[PATH_MAX];
      if (realpath (*d, buf))
        {
          free (*d);
          *d = xstrdup (buf);
        }
    }
}

/* --env NAME: a name to pass; --env NAME=VALUE: a value to set. */
static void
env_arg (const char *arg, char ***names, char ***values)
{
  strv_append (strchr (arg, '=') ? values : names, arg);
}

/* The variables a container command gets from here: the named ones only. */
static char **
named_env (char *const *names, char *const *values)
{
  char **out = xcalloc (1, sizeof *out);
  for (char **e = environ; e && *e; e++)
    {
      size_t n = strcspn (*e, "=");
      if ((*e)[n] != '=' || !sbx_env_name_allowed (*e, n, names))
        continue;
      bool replaced = false;
      for (char *const *v = values; v && *v && !replaced; v++)
        replaced = strncmp (*v, *e, n + 1) == 0;
      if (!replaced)
        strv_append (&out, *e);
    }
  for (char *const *v = values; v && *v; v++)
    strv_append (&out, *v);
  return out;
}

int
cmd_run (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "isolation", required_argument, 0, 'i' },
                                        { "runtime", required_argument, 0, 'R' },
                                        { "allow-network", no_argument, 0, 'n' },
                                        { "ro", required_argument, 0, 'r' },
                                        { "rw", required_argument, 0, 'w' },
                                        { "allow-unix-socket", required_argument, 0, 'u' },
                                        { "env", required_argument, 0, 'e' },
                                        { "fallback", no_argument, 0, 'f' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  _cleanup_error_ sbx_error *err = NULL;
  const char *isolation = NULL, *runtime = NULL;
  bool allow_network = false, fallback = false;
  _cleanup_strv_ char **ro = NULL;
  _cleanup_strv_ char **rw = NULL;
  _cleanup_strv_ char **sockets = NULL;
  _cleanup_strv_ char **env_names = NULL;
  _cleanup_strv_ char **env_values = NULL;
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 'i':
        isolation = optarg;
        break;
      case 'R':
        runtime = optarg;
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
      case 'u':
        if (optarg[0] == '\0')
          return cli_usage_error (ctx, "--allow-unix-socket needs a path");
        strv_append (&sockets, optarg);
        break;
      case 'e':
        if (optarg[0] == '\0' || optarg[0] == '=')
          return cli_usage_error (ctx, "--env needs NAME or NAME=VALUE, not '%s'", optarg);
        env_arg (optarg, &env_names, &env_values);
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
  if (runtime && runtime[0] == '\0')
    return cli_usage_error (ctx, "--runtime needs a name");

  __attribute__ ((cleanup (sbx_config_clear))) sbx_config cfg = { 0 };
  _cleanup_free_ char *project_dir = NULL;
  if (cli_open_project_dir (ctx, &project_dir, &cfg, &err) < 0)
    return cli_report (ctx, err);

  /* Flags win over every file; a level asked for is never weakened. */
  _cleanup_free_ char *asked_by = NULL;
  if (isolation)
    asked_by = xasprintf ("--isolation %s", isolation);
  else if (cfg.isolation_from)
    asked_by = xasprintf ("\"isolation\" in %s", cfg.isolation_from);
  if (isolation == NULL)
    level = cfg.enabled ? cfg.isolation : SBX_LEVEL_OFF;
  if (asked_by && check_level (&cfg, level, asked_by, &err) < 0)
    return cli_report (ctx, err);
  if (runtime)
    {
      free (cfg.runtime);
      cfg.runtime = xstrdup (runtime);
      free (cfg.runtime_from);
      cfg.runtime_from = xstrdup ("--runtime");
    }
  if (allow_network)
    cfg.allow_network = true;
  for (char **d = ro; d && *d; d++)
    strv_append (&cfg.read_only_dirs, *d);
  for (char **d = rw; d && *d; d++)
    strv_append (&cfg.writable_dirs, *d);
  if (resolve_dirs ("--ro", cfg.read_only_dirs, &err) < 0
      || resolve_dirs ("--rw", cfg.writable_dirs, &err) < 0)
    return cli_report (ctx, err);
  for (char **d = sockets; d && *d; d++)
    strv_append (&cfg.allow_unix_sockets, *d);
  resolve_sockets (cfg.allow_unix_sockets);
  for (char **d = env_names; d && *d; d++)
    strv_append (&cfg.pass_env, *d);

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
          /* stdin passed on, as the host backends do; only the variables
             the user named reach the container. */
          _cleanup_strv_ char **env = named_env (cfg.pass_env, env_values);
          cli_exec_opts eo = { .argv = cmd,
                               .env = env,
                               .stdin = true,
                               .level = sel.level,
                               .level_set = true,
                               .cfg = &cfg };
          return cli_exec_in_project (ctx, &eo);
        }
      int status = SBX_EXIT_ERROR;
      _cleanup_strv_ char **env = sbx_env_filter (environ, cfg.pass_env, env_values, NULL);
      if (run_on_host (&cfg, project_dir, cmd, &sel, env, &status, &err) == 0)
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
