/* cmd_up.c: sbx up [--image REF] [--isolation container|maximum] [--runtime R] */
#include "cli.h"
#include "cli_project.h"
#include "cli_swap.h"
#include "devenv/devenv.h"
#include "util.h"

#include <getopt.h>
#include <string.h>
#include <sys/wait.h>

static void
help (void)
{
  printf ("usage: sbx up [--image REF] [--isolation container|maximum] [--runtime R] [--swap]\n"
          "              [-p PORT[:PORT]]...\n\n"
          "Start the project container: hardened (no capabilities, no-new-privileges,\n"
          "no network unless allowed; its root filesystem a writable layer of its own\n"
          "that a swap discards, read-only with \"read_only_rootfs\": true in the\n"
          "configuration), the project mounted at its own path, commands running as\n"
          "your uid:gid.  Memory is bounded by max_memory_mb\n"
          "(config), else half of the RAM up to 4 GiB; at most 4096 processes.\n\n"
          "  --image REF      run this image (remembered for later commands until 'sbx down')\n"
          "  --isolation L    container (runc, default) or maximum (gVisor)\n"
          "  --runtime R      the gVisor runtime name for maximum (default: runsc)\n"
          "  --swap           if the running container's image is stale, swap it (see 'sbx swap')\n"
          "  -p, --publish HOSTPORT[:CONTAINERPORT]\n"
          "                   publish a port on 127.0.0.1 (needs allow_network; kept by swaps)\n\n"
          "The project's devcontainer.json gives the container its containerEnv and\n"
          "remoteEnv, its lifecycle commands (postCreateCommand..., output shown with\n"
          "the step's name) and, when trusted ('sbx trust'), its forwardPorts.\n");
}

/* A running devenv container whose image is no longer the project's: say
   so, or swap it (--swap). */
static int
check_stale (cli_ctx *ctx, engine_client *c, const sbx_project *p, const sbx_config *cfg,
             const devenv_ctr *ctr, bool swap, sbx_error **err)
{
  if (!swap)
    {
      cli_say_if_outdated (ctx, c, p, cfg, ctr);
      return 0;
    }
  devenv_options o = { .cancel = ctx->cancel };
  bool stale = false;
  if (devenv_container_outdated (c, p, cfg, ctr, &o, &stale, err) < 0)
    return -1;
  if (!stale)
    return 0;
  devenv_swap_result res;
  _cleanup_free_ char *image = NULL;
  int r = cli_swap_project (ctx, c, p, cfg, NULL, 30000, false, &res, &image, err);
  if (r == 0 && ctx->verbosity >= 0 && !ctx->json)
    fprintf (stderr, "%s: swapped %s to %s in %ld ms\n", ctx->prog, p->container_name, image,
             res.total_ms);
  devenv_swap_result_clear (&res);
  return r;
}

/* The container found before anything is created: replaced when it runs
   another image or level than asked (devenv_ctr_mismatch; a new image
   keeps its level: *level, *level_set), else checked for staleness. */
static int
settle_existing (cli_ctx *ctx, engine_client *c, const sbx_project *p, const sbx_config *cfg,
                 const char *image_arg, sbx_level *level, bool *level_set, bool swap,
                 sbx_error **err)
{
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  if (devenv_container_find (c, p, &ctr, err) < 0)
    return -1;
  if (!ctr.json)
    return 0;
  if (!*level_set && devenv_ctr_level (&ctr, level))
    *level_set = true;
  const char *why = devenv_ctr_mismatch (&ctr, image_arg, *level_set ? level : NULL, NULL, NULL);
  if (!why)
    return check_stale (ctx, c, p, cfg, &ctr, swap, err);
  cli_verbose (ctx, "replacing %s (%s changed)", p->container_name, why);
  return devenv_container_remove_all (c, p, NULL, err);
}

/* A trusted devcontainer.json's initializeCommand, on the host in the
   project directory, before anything else (its output on stderr). */
static int
initialize (cli_ctx *ctx, const sbx_project *p, sbx_error **err)
{
  _cleanup_devcontainer_ devenv_devcontainer *dc = NULL;
  if (devenv_devcontainer_load (p->dir, &dc, err) < 0)
    return -1;
  if (!dc || !dc->initialize)
    return 0;
  cli_verbose (ctx, "initializeCommand (on the host, trusted): %s", dc->initialize);
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    return sbx_fail_errno (err, errno, "starting the initializeCommand");
  if (pid == 0)
    {
      if (chdir (p->dir) < 0 || dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
        _exit (126);
      execl ("/bin/sh", "sh", "-c", dc->initialize, (char *) NULL);
      _exit (127);
    }
  int status = 0;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return sbx_fail_errno (err, errno, "waiting for the initializeCommand");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return sbx_fail (err, SBX_ERR_GENERIC, "%s: initializeCommand failed with %s %d", dc->name,
                   WIFEXITED (status) ? "exit status" : "signal",
                   WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
}

/* Say what runs now (text or --json). */
static int
report_up (cli_ctx *ctx, engine_client *c, const sbx_project *p, const char *id, sbx_error **err)
{
  _cleanup_json_ json_t *ins = NULL;
  if (engine_container_inspect (c, id, &ins, err) < 0)
    return -1;
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  devenv_ctr_parse (ins, &ctr);
  const char *img = ctr.image, *lvl = ctr.isolation;
  if (ctx->json)
    {
      _cleanup_json_ json_t *o
          = json_pack ("{s:s,s:s,s:s,s:s,s:s}", "container", p->container_name, "id", id, "image",
                       img ? img : "", "isolation", lvl ? lvl : "", "project", p->dir);
      cli_print_json (o);
    }
  else if (ctx->verbosity >= 0)
    printf ("%s running (image %s, isolation %s)\n", p->container_name, img ? img : "?",
            lvl ? lvl : "?");
  else
    printf ("%s\n", p->container_name);
  return 0;
}

int
cmd_up (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "image", required_argument, 0, 'i' },
                                        { "isolation", required_argument, 0, 'I' },
                                        { "runtime", required_argument, 0, 'r' },
                                        { "swap", no_argument, 0, 's' },
                                        { "publish", required_argument, 0, 'p' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  const char *image_arg = NULL, *runtime = NULL;
  sbx_level level = SBX_LEVEL_CONTAINER;
  bool level_set = false, swap = false;
  _cleanup_free_ char *publish = NULL;
  _cleanup_free_ devenv_port *ports = NULL;
  size_t n_ports = 0;
  _cleanup_error_ sbx_error *err = NULL;
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "p:", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 'i':
        image_arg = optarg;
        break;
      case 'I':
        if (sbx_level_parse (optarg, &level, &err) < 0)
          return cli_report (ctx, err);
        level_set = true;
        break;
      case 'r':
        runtime = optarg;
        break;
      case 's':
        swap = true;
        break;
      case 'p':
        {
          char *all = publish ? xasprintf ("%s,%s", publish, optarg) : xstrdup (optarg);
          free (publish);
          publish = all;
        }
        break;
      }
  if (ch == CLI_OPT_RETURN)
    return rc;
  if (cli_opt_no_operands (ctx, &op, &rc) < 0)
    return rc;
  if (publish && devenv_ports_parse (publish, &ports, &n_ports, &err) < 0)
    return cli_report (ctx, err);

  _cleanup_project_ sbx_project *p = NULL;
  sbx_config cfg;
  if (cli_open_project (ctx, &p, &cfg, &err) < 0)
    return cli_report (ctx, err);
  _cleanup_engine_ engine_client *c = NULL;
  _cleanup_free_ char *id = NULL;
  rc = SBX_EXIT_ERROR;
  if (runtime)
    {
      free (cfg.runtime);
      cfg.runtime = xstrdup (runtime);
      free (cfg.runtime_from);
      cfg.runtime_from = xstrdup ("--runtime");
    }
  if (devenv_container_level (&cfg, &level, level_set, &err) < 0 || initialize (ctx, p, &err) < 0
      || cli_open_engine (ctx, &c, &err) < 0)
    goto out;
  /* The image is checked (and remembered) before a running container is
     touched. */
  if ((image_arg && devenv_remember_image (c, p, image_arg, &err) < 0)
      || settle_existing (ctx, c, p, &cfg, image_arg, &level, &level_set, swap, &err) < 0)
    goto out;
  devenv_container_req req = { .level = level,
                               .level_set = level_set,
                               .image = image_arg,
                               .match_config = true,
                               .ports = ports,
                               .n_ports = n_ports,
                               .attach = true };
  if (cli_ensure_project_container (ctx, c, p, &cfg, &req, &id, &err) < 0
      || report_up (ctx, c, p, id, &err) < 0)
    goto out;
  rc = 0;
out:
  if (err)
    rc = cli_report (ctx, err);
  sbx_config_clear (&cfg);
  return rc;
}
