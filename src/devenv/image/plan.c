/* plan.c: discovery, Dockerfile check, context scan and key: everything
   that decides what to build, without the engine. */
#include "devenv/image/image.h"
#include "devenv/image/ignore.h"
#include "devenv/image/key.h"
#include "devenv/image/plan_internal.h"
#include "devenv/image/readfile.h"
#include "devenv/image/statcache.h"
#include "sha256.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>

#define DOCKERFILE_MAX (4 * 1024 * 1024)

static void
internal_free (plan_internal *in)
{
  if (!in)
    return;
  free (in->text);
  devenv_dockerfile_free (in->df);
  devenv_context_free (in->ctx);
  free (in->df_name);
  for (int i = 0; i < 2; i++)
    {
      free (in->extra_name[i]);
      free (in->extra_source[i]);
    }
  free (in->ignore_data);
  free (in);
}

void
devenv_plan_free (devenv_plan *plan)
{
  if (!plan)
    return;
  devenv_source_clear (&plan->src);
  free (plan->repo);
  free (plan->image);
  free (plan->project_dir);
  free (plan->project_id);
  strv_free (plan->build_args);
  free (plan->target);
  free (plan->whole_reason);
  strv_free (plan->warnings);
  internal_free (plan->internal);
  free (plan);
}

void
devenv_plan_freep (devenv_plan **plan)
{
  devenv_plan_free (*plan);
  *plan = NULL;
}

/* path relative to dir when it lies inside, else NULL. */
static const char *
inside (const char *dir, const char *path)
{
  size_t n = strlen (dir);
  if (strncmp (path, dir, n) == 0 && path[n] == '/' && path[n + 1])
    return path + n + 1;
  return NULL;
}

/* The files the engine needs beside the context entries: the Dockerfile
   (under a name of its own when it lies outside the context, excluded
   through a .dockerignore sent with it, as docker's client does) and the
   .dockerignore (which tells the engine to drop an excluded Dockerfile). */
static void
tar_extras (devenv_plan *plan, plan_internal *in)
{
  const char *ctxdir = plan->src.context;
  /* A Dockerfile sbx wrote is sent as data, like one outside the context. */
  const char *rel = plan->src.dockerfile_text ? NULL : inside (ctxdir, plan->src.dockerfile);
  _cleanup_free_ char *ignore_path = xasprintf ("%s/.dockerignore", ctxdir);
  struct stat st;
  bool has_ignore = lstat (ignore_path, &st) == 0 && S_ISREG (st.st_mode);
  int k = 0;
  if (rel)
    {
      in->df_name = xstrdup (rel);
      in->extra_name[k] = xstrdup (rel);
      in->extra_source[k] = xstrdup (plan->src.dockerfile);
      in->extra[k] = (devenv_tar_extra) { .name = in->extra_name[k], .source = in->extra_source[k] };
      k++;
      if (has_ignore)
        {
          in->extra_name[k] = xstrdup (".dockerignore");
          in->extra_source[k] = xstrdup (ignore_path);
          in->extra[k] = (devenv_tar_extra) { .name = in->extra_name[k],
                                              .source = in->extra_source[k] };
          k++;
        }
    }
  else
    {
      char hex[SBX_SHA256_HEX_LEN + 1];
      sbx_sha256_hex (in->text, in->len, hex);
      hex[16] = '\0';
      in->df_name = xasprintf (".sbx-dockerfile-%s", hex);
      in->extra_name[k] = xstrdup (in->df_name);
      in->extra[k] = (devenv_tar_extra) { .name = in->extra_name[k], .data = in->text,
                                          .len = in->len };
      k++;
      _cleanup_free_ char *orig = NULL;
      size_t olen = 0;
      if (has_ignore && devenv_read_file (ignore_path, "", 16 * 1024 * 1024, &orig, &olen, NULL) < 0)
        orig = NULL;
      in->ignore_data = xasprintf ("%s\n%s\n.dockerignore\n", orig ? orig : "", in->df_name);
      in->extra_name[k] = xstrdup (".dockerignore");
      in->extra[k] = (devenv_tar_extra) { .name = in->extra_name[k], .data = in->ignore_data,
                                          .len = strlen (in->ignore_data) };
      k++;
    }
  in->extra[k] = (devenv_tar_extra) { 0 };
}

int
devenv_plan_new (const sbx_project *p, const devenv_options *o, devenv_plan **out,
                 sbx_error **err)
{
  _cleanup_plan_ devenv_plan *plan = xcalloc (1, sizeof *plan);
  plan_internal *in = xcalloc (1, sizeof *in);
  plan->internal = in;
  plan->project_dir = xstrdup (p->dir);
  plan->project_id = xstrdup (p->id);
  plan->warnings = xcalloc (1, sizeof *plan->warnings);
  if (devenv_discover (p->dir, o ? o->file : NULL, &plan->src, err) < 0)
    return -1;
  const char *name = plan->src.display;
  for (char **w = plan->src.dc ? plan->src.dc->warnings : NULL; w && *w; w++)
    strv_append (&plan->warnings, *w);
  if (plan->src.dockerfile_text)
    {
      in->text = xstrdup (plan->src.dockerfile_text);
      in->len = strlen (in->text);
    }
  else if (devenv_read_file (plan->src.dockerfile, "the Dockerfile", DOCKERFILE_MAX, &in->text,
                             &in->len, err) < 0)
    return -1;
  const char *target = o && o->target ? o->target : plan->src.target;
  plan->target = target && *target ? xstrdup (target) : NULL;
  if (devenv_dockerfile_parse (in->text, in->len, name, plan->target, &in->df, err) < 0)
    return -1;
  _cleanup_ignore_ devenv_ignore *ig = NULL;
  if (devenv_ignore_load (plan->src.context, &ig, err) < 0)
    return -1;
  if (devenv_context_scan (plan->src.context, ig, in->df, name, &in->ctx, err) < 0)
    return -1;
  _cleanup_free_ char *cache_path = devenv_statcache_default_path (plan->src.context);
  _cleanup_statcache_ devenv_statcache *sc = devenv_statcache_open (cache_path, plan->src.context);
  if (devenv_context_digest (in->ctx, sc, err) < 0)
    return -1;
  sbx_error *serr = NULL;
  if (devenv_statcache_save (sc, &serr) < 0)
    {
      /* Only an accelerator: say so and go on. */
      _cleanup_free_ char *w = xasprintf ("%s (the next run will hash the files again)", serr->msg);
      strv_append (&plan->warnings, w);
      sbx_error_free (serr);
    }
  for (char **w = in->ctx->warnings; w && *w; w++)
    strv_append (&plan->warnings, *w);
  plan->build_args = devenv_build_args_normalize (plan->src.args, o ? o->build_args : NULL);
  /* Only the args an ARG declares reach the image (the others are passed
     on, and the builder warns that nothing used them). */
  _cleanup_strv_ char **keyed_args = xcalloc (1, sizeof *keyed_args);
  for (char **a = plan->build_args; *a; a++)
    for (char **d = in->df->args; d && *d; d++)
      if (strncmp (*a, *d, strlen (*d)) == 0 && ((*a)[strlen (*d)] == '=' || !(*a)[strlen (*d)]))
        strv_append (&keyed_args, *a);
  devenv_key_input ki = { .dockerfile = in->df->key_text, .dockerfile_len = in->df->key_len,
                          .entries = in->ctx->v, .n_entries = in->ctx->n,
                          .build_args = keyed_args, .target = plan->target };
  devenv_key_compute (&ki, plan->key);
  plan->files = in->ctx->n;
  plan->whole_context = in->ctx->all;
  plan->whole_reason = in->df->whole_reason ? xstrdup (in->df->whole_reason) : NULL;
  plan->repo = xstrdup (p->image_repo);
  plan->image = xasprintf (DEVENV_IMAGE_KEY_FMT, plan->repo, plan->key);
  tar_extras (plan, in);
  *out = steal_pointer (&plan);
  return 0;
}
