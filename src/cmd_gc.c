/* cmd_gc.c: sbx gc [--all] [--dry-run] */
#include "cli.h"
#include "devenv/devenv.h"
#include "util.h"

#include <getopt.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx gc [--all] [--dry-run]\n\n"
          "Remove your exited sbx containers, your sbx images (labelled dev.sbx.project)\n"
          "that no container uses, keeping each project's newest image, and the home\n"
          "volumes of your projects whose directory no longer exists.  Yours: made by\n"
          "your uid (label dev.sbx.owner; before sbx recorded it, the owner of the\n"
          "project directory).\n\n"
          "  -a, --all      every user's, not only yours\n"
          "  -n, --dry-run  list what would be removed, remove nothing\n"
          "  -h, --help     this help\n");
}

int
cmd_gc (cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "dry-run", no_argument, 0, 'n' },
                                         { "all", no_argument, 0, 'a' },
                                         { "help", no_argument, 0, 'h' },
                                         { 0, 0, 0, 0 } };
  bool dry = false, all = false;
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "na", .longopts = opts, .help = help };
  int ch, rc;
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 'n':
        dry = true;
        break;
      case 'a':
        all = true;
        break;
      }
  if (ch == CLI_OPT_RETURN)
    return rc;
  if (cli_opt_no_operands (ctx, &op, &rc) < 0)
    return rc;
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_engine_ engine_client *c = NULL;
  devenv_gc_report rep;
  uid_t me = getuid ();
  if (cli_open_engine (ctx, &c, &err) < 0 || devenv_gc (c, dry, all ? NULL : &me, &rep, &err) < 0)
    return cli_report (ctx, err);
  if (ctx->json)
    {
      json_t *items = json_array ();
      for (size_t i = 0; i < rep.n; i++)
        json_array_append_new (items, json_pack ("{s:s,s:s,s:s,s:s,s:s}", "kind", rep.items[i].kind,
                                                 "id", rep.items[i].id, "name", rep.items[i].name,
                                                 "project", rep.items[i].project, "reason",
                                                 rep.items[i].reason));
      json_t *errs = json_array ();
      for (char **e = rep.errors; e && *e; e++)
        json_array_append_new (errs, json_string (*e));
      _cleanup_json_ json_t *j = json_pack ("{s:b,s:b,s:o,s:I,s:o}", "dry_run", dry, "all", all,
                                            "removed", items,
                                            "kept_images", (json_int_t) rep.kept_images, "errors",
                                            errs);
      cli_print_json (j);
    }
  else
    {
      for (size_t i = 0; i < rep.n; i++)
        if (strcmp (rep.items[i].kind, "volume") == 0)
          printf ("%s volume %s of %s (%s)\n", dry ? "would remove" : "removed", rep.items[i].name,
                  rep.items[i].project, rep.items[i].reason);
        else
          printf ("%s %s %s %.19s (%s)\n", dry ? "would remove" : "removed", rep.items[i].kind,
                  rep.items[i].name, rep.items[i].id, rep.items[i].reason);
      if (ctx->verbosity >= 0)
        fprintf (stderr, "gc: %s %zu item%s, kept %zu image%s\n", dry ? "would remove" : "removed",
                 rep.n, rep.n == 1 ? "" : "s", rep.kept_images, rep.kept_images == 1 ? "" : "s");
      for (char **e = rep.errors; e && *e; e++)
        fprintf (stderr, "%s: gc: could not remove %s\n", ctx->prog, *e);
    }
  rc = rep.errors ? SBX_EXIT_ERROR : 0;
  devenv_gc_report_clear (&rep);
  return rc;
}
