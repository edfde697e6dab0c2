/* state.c: the engine's view of an sbx container, parsed once.

   The engine describes a container in two shapes: an inspect answer
   (Name, Image, Config.Labels, State.{Status,Running,StartedAt}) and an
   entry of a container list (Names[], ImageID, Labels, State as a string,
   Status, Created).  devenv_ctr_parse reads either into a devenv_ctr, so
   that no other file walks that JSON for a dev.sbx.* label or a state; the
   decisions taken on it (replace the container? which level does it run
   at?) are made here too, below the CLI. */
#include "devenv/container/container.h"
#include "util.h"

#include <string.h>

static const char *
str (const json_t *o, const char *k)
{
  return json_string_value (json_object_get (o, k));
}

void
devenv_ctr_parse (json_t *j, devenv_ctr *out)
{
  memset (out, 0, sizeof *out);
  if (!json_is_object (j))
    return;
  out->json = json_incref (j);
  out->id = str (j, "Id");
  json_t *config = json_object_get (j, "Config");
  json_t *labels = json_object_get (config ? config : j, "Labels");
  json_t *state = json_object_get (j, "State");
  const char *name = config ? str (j, "Name")
                            : json_string_value (json_array_get (json_object_get (j, "Names"), 0));
  out->name = name && *name == '/' ? name + 1 : name;
  out->image_id = str (j, config ? "Image" : "ImageID");
  if (json_is_object (state))
    {
      out->state = str (state, "Status");
      out->running = json_is_true (json_object_get (state, "Running"));
      out->started_at = str (state, "StartedAt");
      out->pid = (pid_t) json_integer_value (json_object_get (state, "Pid"));
    }
  else
    {
      out->state = json_string_value (state);
      out->running = out->state && strcmp (out->state, "running") == 0;
    }
  out->status = str (j, "Status");
  out->created = (long long) json_integer_value (json_object_get (j, "Created"));
  out->managed = str (labels, DEVENV_LABEL_MANAGED) != NULL;
  out->project = str (labels, DEVENV_LABEL_PROJECT);
  out->image = str (labels, DEVENV_LABEL_IMAGE);
  out->image_key = str (labels, DEVENV_LABEL_IMAGE_KEY);
  out->isolation = str (labels, DEVENV_LABEL_ISOLATION);
  out->profile = str (labels, DEVENV_LABEL_PROFILE);
  out->runtime = str (labels, DEVENV_LABEL_RUNTIME);
  out->agent = str (labels, DEVENV_LABEL_AGENT);
  out->devcontainer = str (labels, DEVENV_LABEL_DEVCONTAINER);
  out->ports = str (labels, DEVENV_LABEL_PORTS);
  out->owner = str (labels, DEVENV_LABEL_OWNER);
  out->hardening = str (labels, DEVENV_LABEL_HARDENING);
  if (!out->hardening && out->managed)
    out->hardening = "strict";
}

void
devenv_ctr_clear (devenv_ctr *s)
{
  json_decref (s->json);
  memset (s, 0, sizeof *s);
}

int
devenv_ctr_list (engine_client *c, const char *label, bool all, devenv_ctrs *out, sbx_error **err)
{
  _cleanup_json_ json_t *list = NULL;
  memset (out, 0, sizeof *out);
  if (engine_container_list (c, label, all, &list, err) < 0)
    return -1;
  out->v = xcalloc (json_array_size (list) + 1, sizeof *out->v);
  size_t i;
  json_t *ct;
  json_array_foreach (list, i, ct) devenv_ctr_parse (ct, &out->v[out->n++]);
  return 0;
}

void
devenv_ctrs_clear (devenv_ctrs *l)
{
  for (size_t i = 0; i < l->n; i++)
    devenv_ctr_clear (&l->v[i]);
  free (l->v);
  memset (l, 0, sizeof *l);
}

bool
devenv_ctr_in_state (const devenv_ctr *s, const char *state)
{
  return s->state && strcmp (s->state, state) == 0;
}

bool
devenv_ctr_level (const devenv_ctr *s, sbx_level *level)
{
  return s->isolation && sbx_level_parse (s->isolation, level, NULL) == 0;
}

static bool
differs (const char *have, const char *want)
{
  return want && (!have || strcmp (have, want) != 0);
}

const char *
devenv_ctr_mismatch (const devenv_ctr *s, const char *image, const sbx_level *level,
                     const char *hardening, const char *profile)
{
  if (differs (s->image, image))
    return "image";
  if (level && differs (s->isolation, sbx_level_name (*level)))
    return "isolation";
  if (differs (s->hardening, hardening))
    return "hardening";
  if (differs (s->profile, profile))
    return "configuration";
  return NULL;
}
