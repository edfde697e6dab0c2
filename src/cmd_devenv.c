/* cmd_devenv.c: sbx devenv build | status | invalidate */
#include "cli.h"
#include "cli_devenv.h"
#include "devenv/project_container.h"
#include "guarantees.h"
#include "util.h"

#include <getopt.h>
#include <string.h>

static void
help (void)
{
  printf ("usage: sbx devenv build [--file F] [--no-cache] [--build-arg K=V]... [--target T]\n"
          "       sbx devenv status [--file F] [--build-arg K=V]... [--target T]\n"
          "       sbx devenv invalidate [--file F] [--build-arg K=V]... [--target T]\n\n"
          "The project image is built from, in this order: --file F; .sbx/Dockerfile;\n"
          ".devcontainer/devcontainer.json build.dockerfile (with build.context, args,\n"
          "target); Dockerfile at the project root; else sbx's default Dockerfile for the\n"
          "project's kind (base, c, python, node, go, rust).\n\n"
          "It is tagged <repo>:<key>, where the key is a SHA-256 of the Dockerfile, the\n"
          "context files that COPY/ADD reach (after .dockerignore: path, mode, bytes),\n"
          "the build args and the target.  'build' reuses the image while the key is\n"
          "unchanged (nothing is sent to the engine) and prints the image reference\n"
          "last on stdout.\n\n"
          "  build        build the image, or reuse it when its key is unchanged\n"
          "  status       Dockerfile, key, image present, container's key, fresh or stale\n"
          "  invalidate   the next build rebuilds without the layer cache\n\n"
          "  -f, --file F         the Dockerfile to use (context: the project)\n"
          "      --no-cache       build even if the image exists, without the layer cache\n"
          "      --build-arg K=V  a build argument (K alone: from the environment)\n"
          "      --target T       the stage to build\n"
          "  -h, --help           this help\n\n"
          "Global -q prints only the image reference, --json one JSON object.\n");
}

typedef struct args
{
  const char *file, *target;
  bool no_cache;
  char **build_args;
  sbx_config cfg; /* the project's configuration */
} args;

static int
parse (cli_ctx *ctx, int argc, char **argv, bool allow_no_cache, args *a, int *done)
{
  static const struct option opts[] = { { "file", required_argument, 0, 'f' },
                                        { "no-cache", no_argument, 0, 'n' },
                                        { "build-arg", required_argument, 0, 'b' },
                                        { "target", required_argument, 0, 't' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
  cli_opts op = { .argc = argc, .argv = argv, .shortopts = "f:", .longopts = opts, .help = help };
  int ch, rc;
  *done = 0;
  a->build_args = xcalloc (1, sizeof *a->build_args);
  while ((ch = cli_opt_next (ctx, &op, &rc)) >= 0)
    switch (ch)
      {
      case 'f':
        if (!*optarg)
          return cli_usage_error (ctx, "--file needs a path");
        a->file = optarg;
        break;
      case 'n':
        if (!allow_no_cache)
          return cli_usage_error (ctx, "--no-cache applies to 'build' only");
        a->no_cache = true;
        break;
      case 't':
        if (!*optarg)
          return cli_usage_error (ctx, "--target needs a stage name");
        a->target = optarg;
        break;
      case 'b':
        {
          const char *eq = strchr (optarg, '=');
          if (eq == optarg || !*optarg)
            return cli_usage_error (ctx, "--build-arg '%s' has no name; use K=V", optarg);
          if (eq)
            strv_append (&a->build_args, optarg);
          else if (getenv (optarg))
            {
              /* "K" alone takes K from the environment, as docker does. */
              _cleanup_free_ char *kv = xasprintf ("%s=%s", optarg, getenv (optarg));
              strv_append (&a->build_args, kv);
            }
          break;
        }
      }
  if (ch == CLI_OPT_RETURN)
    {
      *done = 1;
      return rc;
    }
  if (cli_opt_no_operands (ctx, &op, &rc) < 0)
    return rc;
  return 0;
}

static json_t *
plan_json (const devenv_plan *plan)
{
  json_t *o = json_pack ("{s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "dockerfile", plan->src.dockerfile,
                         "origin", devenv_origin_name (plan->src.origin), "context",
                         plan->src.context, "key", plan->key, "image", plan->image, "files",
                         (json_int_t) plan->files, "whole_context", plan->whole_context);
  if (plan->src.flavour)
    json_object_set_new (o, "flavour", json_string (plan->src.flavour));
  if (plan->target)
    json_object_set_new (o, "target", json_string (plan->target));
  json_t *w = json_array ();
  for (char **s = plan->warnings; s && *s; s++)
    json_array_append_new (w, json_string (*s));
  json_object_set_new (o, "warnings", w);
  return o;
}

static int
do_build (cli_ctx *ctx, sbx_project *p, engine_client *c, args *a)
{
  cli_devenv_progress prog;
  cli_devenv_progress_init (&prog, ctx);
  devenv_options o;
  cli_devenv_options_init (&o, ctx, &prog);
  o.file = a->file;
  o.target = a->target;
  o.no_cache = a->no_cache;
  o.build_args = a->build_args;
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_plan_ devenv_plan *plan = NULL;
  devenv_result res = { 0 };
  int rc = 0;
  if (devenv_plan_new (p, &o, &plan, &err) < 0)
    return cli_report (ctx, err);
  if (devenv_get_or_build_plan (c, plan, &o, &res, &err) < 0)
    {
      cli_devenv_show_failure (&prog, &res);
      if (ctx->json && res.failure.step)
        {
          _cleanup_json_ json_t *j = json_pack (
              "{s:s,s:i,s:i,s:i,s:i,s:s,s:s}", "error", err->msg, "exit", SBX_EXIT_ERROR, "step",
              res.failure.step, "steps", res.failure.steps, "line", res.failure.line, "instruction",
              res.failure.instruction ? res.failure.instruction : "", "tail",
              res.failure.tail ? res.failure.tail : "");
          cli_print_json (j);
          fprintf (stderr, "%s: %s\n", ctx->prog, err->msg);
          rc = SBX_EXIT_ERROR;
        }
      else
        rc = cli_report (ctx, err);
      devenv_result_clear (&res);
      return rc;
    }
  cli_devenv_progress_end (&prog);
  if (ctx->json)
    {
      json_t *j = plan_json (plan);
      json_object_set_new (j, "image_id", json_string (res.image_id ? res.image_id : ""));
      json_object_set_new (j, "built", json_boolean (res.built));
      json_object_set_new (j, "waited", json_boolean (res.waited));
      json_object_set_new (j, "upload_bytes", json_integer ((json_int_t) res.upload_bytes));
      json_object_set_new (j, "seconds", json_real (cli_devenv_elapsed (&prog)));
      cli_print_json (j);
      json_decref (j);
    }
  else
    printf ("%s\n", res.image);
  devenv_result_clear (&res);
  return rc;
}

static int
do_status (cli_ctx *ctx, sbx_project *p, engine_client *c, args *a)
{
  devenv_options o = {
    .file = a->file, .target = a->target, .build_args = a->build_args, .cancel = ctx->cancel
  };
  _cleanup_error_ sbx_error *err = NULL;
  devenv_status st;
  if (devenv_status_get (c, p, &o, &st, &err) < 0)
    return cli_report (ctx, err);
  const devenv_plan *plan = st.plan;
  /* The hardening the project asks for, and the container's. */
  _cleanup_free_ char *hardening = NULL, *hardening_by = NULL;
  if (devenv_project_hardening (p, &a->cfg, &hardening, &hardening_by, &err) < 0)
    {
      devenv_status_clear (&st);
      return cli_report (ctx, err);
    }
  bool weaker = strcmp (hardening, "strict") != 0
                || (st.container_hardening && strcmp (st.container_hardening, "strict") != 0);
  if (ctx->json)
    {
      json_t *j = plan_json (plan);
      json_object_set_new (
          j, "hardening",
          json_pack (
              "{s:s,s:o,s:o,s:b,s:o}", "project", hardening, "asked_by",
              hardening_by ? json_string (hardening_by) : json_null (), "container",
              st.container_hardening ? json_string (st.container_hardening) : json_null (),
              "weaker", weaker, "not_given",
              sbx_hardening_report (st.container_hardening ? st.container_hardening : hardening)));
      json_object_set_new (j, "image_present", json_boolean (st.image_present));
      json_object_set_new (j, "image_id", st.image_id ? json_string (st.image_id) : json_null ());
      json_object_set_new (j, "invalidated", json_boolean (st.invalidated));
      json_object_set_new (j, "container",
                           st.container ? json_string (st.container) : json_null ());
      json_object_set_new (j, "container_state",
                           st.container_state ? json_string (st.container_state) : json_null ());
      json_object_set_new (j, "container_key",
                           st.container_key ? json_string (st.container_key) : json_null ());
      json_object_set_new (j, "container_image",
                           st.container_image ? json_string (st.container_image) : json_null ());
      json_object_set_new (j, "stale", json_boolean (st.stale));
      json_object_set_new (j, "fresh", json_boolean (!st.stale && !st.other_image));
      json_object_set_new (j, "other_image", json_boolean (st.other_image));
      json_object_set_new (j, "why", st.why ? json_string (st.why) : json_null ());
      cli_print_json (j);
      json_decref (j);
    }
  else if (ctx->verbosity < 0)
    printf ("%s\n", st.other_image ? "other-image" : st.stale ? "stale" : "fresh");
  else
    {
      printf ("dockerfile:  %s (%s)\n", plan->src.dockerfile,
              devenv_origin_name (plan->src.origin));
      printf ("context:     %s (%zu entr%s in the key%s)\n", plan->src.context, plan->files,
              plan->files == 1 ? "y" : "ies", plan->whole_context ? ", the whole context" : "");
      printf ("key:         %s\n", plan->key);
      if (st.image_present)
        printf ("image:       %s (present, %.19s, created %s)\n", plan->image, st.image_id,
                st.image_created ? st.image_created : "?");
      else
        printf ("image:       %s (missing%s)\n", plan->image,
                st.invalidated ? ", invalidated" : "");
      if (st.container)
        printf ("container:   %s (%s), image key %.12s%s\n", st.container, st.container_state,
                st.container_key[0] ? st.container_key : "none",
                st.container_key[0]
                    ? (strcmp (st.container_key, plan->key) == 0 ? " (current)" : " (old)")
                    : " (not a devenv image)");
      else
        printf ("container:   none\n");
      if (st.other_image)
        printf ("state:       other image: the container runs %s, given by %s (not built from "
                "the project); %s\n",
                st.container_image,
                a->cfg.image ? "the configuration's \"image\"" : "'sbx up --image'",
                a->cfg.image
                    ? "without it in the configuration, 'sbx swap' moves it to the project's image"
                    : "'sbx down' then 'sbx up' returns to the project's image");
      else
        printf ("state:       %s%s%s\n", st.stale ? "stale" : "fresh", st.why ? ": " : "",
                st.why ? st.why : "");
      if (weaker)
        {
          printf ("hardening:   %s%s%s (weaker than strict)", hardening,
                  hardening_by ? ", asked by " : "", hardening_by ? hardening_by : "");
          if (st.container_hardening && strcmp (st.container_hardening, hardening) != 0)
            printf ("; the container runs with '%s': 'sbx up' replaces it", st.container_hardening);
          printf ("\n");
          const char *name;
          json_t *row;
          _cleanup_json_ json_t *lost
              = sbx_hardening_report (st.container_hardening ? st.container_hardening : hardening);
          json_object_foreach (lost, name, row) printf (
              "  not given: %s: %s\n", name, json_string_value (json_object_get (row, "how")));
        }
      else
        printf ("hardening:   strict (no capabilities, no-new-privileges)\n");
      /* What the project's files ask that sbx does not do. */
      for (char **w = plan->warnings; w && *w; w++)
        printf ("warning:     %s\n", *w);
    }
  devenv_status_clear (&st);
  return 0;
}

static int
do_invalidate (cli_ctx *ctx, sbx_project *p, engine_client *c, args *a)
{
  devenv_options o = {
    .file = a->file, .target = a->target, .build_args = a->build_args, .cancel = ctx->cancel
  };
  _cleanup_error_ sbx_error *err = NULL;
  bool had = false;
  if (devenv_invalidate (c, p, &o, &had, &err) < 0)
    return cli_report (ctx, err);
  if (ctx->json)
    {
      _cleanup_json_ json_t *j = json_pack ("{s:b,s:s}", "invalidated", had, "repo", p->image_repo);
      cli_print_json (j);
    }
  else if (ctx->verbosity >= 0)
    printf (had ? "devenv: invalidated; the next build rebuilds without the layer cache\n"
                : "devenv: no image for the current key; the next build builds it anyway\n");
  return 0;
}

int
cmd_devenv (cli_ctx *ctx, int argc, char **argv)
{
  if (argc < 2)
    return cli_usage_error (ctx, "missing subcommand: build, status or invalidate");
  const char *sub = argv[1];
  if (strcmp (sub, "-h") == 0 || strcmp (sub, "--help") == 0 || strcmp (sub, "help") == 0)
    {
      help ();
      return 0;
    }
  int (*fn) (cli_ctx *, sbx_project *, engine_client *, args *) = NULL;
  if (strcmp (sub, "build") == 0)
    fn = do_build;
  else if (strcmp (sub, "status") == 0)
    fn = do_status;
  else if (strcmp (sub, "invalidate") == 0)
    fn = do_invalidate;
  else
    return cli_usage_error (ctx, "unknown subcommand '%s': use build, status or invalidate", sub);
  args a = { 0 };
  int done = 0;
  int rc = parse (ctx, argc - 1, argv + 1, fn == do_build, &a, &done);
  if (rc != 0 || done)
    {
      strv_free (a.build_args);
      return rc;
    }
  _cleanup_error_ sbx_error *err = NULL;
  _cleanup_project_ sbx_project *p = NULL;
  _cleanup_engine_ engine_client *c = NULL;
  /* a.cfg: zeroed, or loaded (status) by cli_open_project. */
  if (cli_open_project (ctx, &p, fn == do_status ? &a.cfg : NULL, &err) < 0
      || cli_open_engine (ctx, &c, &err) < 0)
    rc = cli_report (ctx, err);
  else
    rc = fn (ctx, p, c, &a);
  strv_free (a.build_args);
  sbx_config_clear (&a.cfg);
  return rc;
}
