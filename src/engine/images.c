/* images.c: image inspect, list, import, tag, remove. */
#include "engine.h"
#include "util.h"

#include <string.h>

int
engine_image_inspect (engine_client *c, const char *ref, json_t **out, sbx_error **err)
{
  _cleanup_free_ char *e = engine_urlencode (ref);
  _cleanup_free_ char *path = xasprintf ("/images/%s/json", e);
  return engine_get_json (c, path, out, err);
}

int
engine_image_list (engine_client *c, const char *label, json_t **out, sbx_error **err)
{
  _cleanup_free_ char *f = label ? engine_label_filter (label) : NULL;
  _cleanup_free_ char *path = f ? xasprintf ("/images/json?filters=%s", f) : xstrdup ("/images/json");
  /* podman 4.3 fails the whole list (500, "image not known") when an image
     is removed while it lists them: list again, a bounded number of times. */
  for (int tries = 1;; tries++)
    {
      sbx_error *e = NULL;
      if (engine_get_json (c, path, out, &e) == 0)
        return 0;
      if (tries == 5 || e->http_status != 500 || !strstr (e->msg, "image not known"))
        {
          if (err)
            *err = e;
          else
            sbx_error_free (e);
          return -1;
        }
      sbx_error_free (e);
    }
}

/* The import answers 200 with a JSON-lines progress stream; failures come as
   {"error": ...} lines inside it. */
typedef struct import_state
{
  char line[4096];
  size_t len;
  char *id;
  char *error;
} import_state;

static void
import_line (import_state *s)
{
  _cleanup_json_ json_t *j = json_loadb (s->line, s->len, 0, NULL);
  if (!j)
    return;
  const char *e = json_string_value (json_object_get (j, "error"));
  const char *st = json_string_value (json_object_get (j, "status"));
  if (e && !s->error)
    s->error = xstrdup (e);
  else if (st && strncmp (st, "sha256:", 7) == 0)
    {
      free (s->id);
      s->id = xstrdup (st);
    }
}

static int
import_data (const char *data, size_t len, void *ud, sbx_error **err)
{
  import_state *s = ud;
  for (size_t i = 0; i < len; i++)
    {
      if (data[i] == '\n')
        {
          import_line (s);
          s->len = 0;
        }
      else if (s->len < sizeof s->line - 1)
        s->line[s->len++] = data[i];
    }
  return 0;
}

int
engine_image_import (engine_client *c, engine_read_cb read, void *ud, const char *repo,
                     const char *tag, char **id, sbx_error **err)
{
  /* The tag goes in repo ("name:tag"), which Docker reads as a tagged
     reference: podman 4.3 ignores the tag parameter and tags :latest. */
  _cleanup_free_ char *ref = xasprintf ("%s:%s", repo, tag ? tag : "latest");
  _cleanup_free_ char *r = engine_urlencode (ref);
  _cleanup_free_ char *path = xasprintf ("/images/create?fromSrc=-&repo=%s", r);
  import_state st = { 0 };
  engine_request req = { .method = "POST", .path = path, .upload = read, .upload_ud = ud,
                         .content_type = "application/x-tar", .on_data = import_data, .ud = &st };
  int ret = engine_call (c, &req, NULL, NULL, err);
  if (ret == 0 && st.len > 0)
    import_line (&st);
  _cleanup_free_ char *error = st.error;
  _cleanup_free_ char *image_id = st.id;
  if (ret < 0)
    return -1;
  if (error)
    return sbx_fail (err, SBX_ERR_ENGINE, "importing %s:%s: engine: %s", repo, tag, error);
  if (id)
    *id = steal_pointer (&image_id);
  return 0;
}

int
engine_image_tag (engine_client *c, const char *ref, const char *repo, const char *tag,
                  sbx_error **err)
{
  _cleanup_free_ char *e = engine_urlencode (ref);
  _cleanup_free_ char *r = engine_urlencode (repo);
  _cleanup_free_ char *t = engine_urlencode (tag);
  _cleanup_free_ char *path = xasprintf ("/images/%s/tag?repo=%s&tag=%s", e, r, t);
  return engine_post_json (c, path, NULL, NULL, err);
}

int
engine_image_remove (engine_client *c, const char *ref, bool force, sbx_error **err)
{
  _cleanup_free_ char *e = engine_urlencode (ref);
  _cleanup_free_ char *path = xasprintf ("/images/%s?force=%s", e, force ? "true" : "false");
  return engine_delete (c, path, err);
}
