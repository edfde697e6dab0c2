/* status.c: devenv_status_get, devenv_is_stale, devenv_container_outdated
   and devenv_invalidate: the engine's images and the project container
   compared with the key of the project as it is now. */
#include "devenv/devenv.h"
#include "util.h"

#include <string.h>

void
devenv_status_clear (devenv_status *st)
{
  devenv_plan_free (st->plan);
  free (st->image_id);
  free (st->image_created);
  free (st->container);
  free (st->container_state);
  free (st->container_key);
  free (st->container_image);
  free (st->container_hardening);
  free (st->why);
  memset (st, 0, sizeof *st);
}

static int
inspect_optional (engine_client *c, const char *ref, json_t **out, sbx_error **err)
{
  *out = NULL;
  sbx_error *e = NULL;
  if (engine_image_inspect (c, ref, out, &e) == 0)
    return 0;
  if (e->code == SBX_ERR_NOT_FOUND)
    {
      sbx_error_free (e);
      return 0;
    }
  *err = e;
  return sbx_error_prefix (err, "inspecting %s", ref);
}

int
devenv_status_get (engine_client *c, const sbx_project *p, const devenv_options *o,
                   devenv_status *st, sbx_error **err)
{
  memset (st, 0, sizeof *st);
  if (devenv_plan_new (p, o, &st->plan, err) < 0)
    return -1;
  const devenv_plan *plan = st->plan;
  _cleanup_json_ json_t *img = NULL, *marker = NULL;
  _cleanup_ctr_ devenv_ctr ctr = { 0 };
  if (inspect_optional (c, plan->image, &img, err) < 0)
    return -1;
  if (img)
    {
      const char *k = devenv_image_label (img, DEVENV_LABEL_KEY);
      st->image_present = k && strcmp (k, plan->key) == 0;
      if (st->image_present)
        {
          st->image_id = xstrdup (json_string_value (json_object_get (img, "Id")));
          const char *cr = json_string_value (json_object_get (img, "Created"));
          st->image_created = cr ? xstrdup (cr) : NULL;
        }
    }
  _cleanup_free_ char *mref = xasprintf ("%s:%s", plan->repo, DEVENV_TAG_INVALIDATED);
  if (inspect_optional (c, mref, &marker, err) < 0)
    return -1;
  st->invalidated = marker != NULL;
  if (devenv_container_find (c, p, &ctr, err) < 0)
    return -1;
  if (ctr.json)
    {
      st->container = xstrdup (ctr.name ? ctr.name : p->container_name);
      st->container_state = xstrdup (ctr.state ? ctr.state : "unknown");
      st->container_key = xstrdup (ctr.image_key ? ctr.image_key : "");
      st->container_image = xstrdup (ctr.image ? ctr.image : "");
      st->container_hardening = xstrdup (ctr.hardening ? ctr.hardening : "strict");
    }
  if (st->container && !st->container_key[0])
    {
      /* It runs an image that is not built from the project (sbx up
         --image, the configuration's "image"): the project image's state
         says nothing of it. */
      st->other_image = true;
      st->why = xasprintf ("the container %s runs %s, an image not built from the project",
                           st->container, st->container_image[0] ? st->container_image : "?");
    }
  else if (!st->image_present)
    {
      st->stale = true;
      st->why = xasprintf ("no image for key %.12s%s; 'sbx devenv build' builds it", plan->key,
                           st->invalidated ? " (invalidated)" : "");
    }
  else if (st->container && st->container_key[0] && strcmp (st->container_key, plan->key) != 0)
    {
      st->stale = true;
      st->why = xasprintf ("the container %s runs key %.12s, the project is now at %.12s; "
                           "'sbx swap' replaces it",
                           st->container, st->container_key, plan->key);
    }
  return 0;
}

int
devenv_is_stale (engine_client *c, const sbx_project *p, const devenv_options *o, bool *stale,
                 sbx_error **err)
{
  devenv_status st;
  int r = devenv_status_get (c, p, o, &st, err);
  if (r == 0)
    *stale = st.stale;
  devenv_status_clear (&st);
  return r;
}

int
devenv_container_outdated (engine_client *c, const sbx_project *p, const sbx_config *cfg,
                           const devenv_ctr *ctr, const devenv_options *o, bool *outdated,
                           sbx_error **err)
{
  *outdated = false;
  /* Only a running container of the devenv image can be behind its key:
     an image given with --image or the configuration's "image" has none. */
  if (!ctr->running || !ctr->image_key || !*ctr->image_key || cfg->image)
    return 0;
  return devenv_is_stale (c, p, o, outdated, err);
}

int
devenv_invalidate (engine_client *c, const sbx_project *p, const devenv_options *o,
                   bool *had_image, sbx_error **err)
{
  if (had_image)
    *had_image = false;
  _cleanup_plan_ devenv_plan *plan = NULL;
  if (devenv_plan_new (p, o, &plan, err) < 0)
    return -1;
  _cleanup_json_ json_t *img = NULL;
  if (inspect_optional (c, plan->image, &img, err) < 0)
    return -1;
  if (!img)
    return 0;
  /* Tag it as invalidated first: the key tag then is never the image's
     last reference, so removing it only untags, even under a container. */
  const char *id = json_string_value (json_object_get (img, "Id"));
  if (engine_image_tag (c, id, plan->repo, DEVENV_TAG_INVALIDATED, err) < 0)
    return sbx_error_prefix (err, "marking %s invalidated", plan->image);
  if (engine_image_remove (c, plan->image, false, err) < 0)
    return sbx_error_prefix (err, "untagging %s", plan->image);
  if (had_image)
    *had_image = true;
  return 0;
}
