/* containers.c: container create, start, stop, kill, remove, rename,
   inspect, list, wait. */
#include "engine.h"
#include "util.h"

#include <string.h>

static char *
container_path (const char *id, const char *suffix)
{
  _cleanup_free_ char *e = engine_urlencode (id);
  return xasprintf ("/containers/%s%s", e, suffix);
}

/* The OCI runtime the container got must be the one its configuration
   asks for (HostConfig.Runtime): podman 4.3's Docker API ignores it and
   runs the container with its default runtime.  Docker's inspect names the
   runtime; podman's says "oci", and its own API names it (OCIRuntime). */
static int
check_runtime (engine_client *c, const char *id, const char *want, sbx_error **err)
{
  _cleanup_json_ json_t *ins = NULL, *libpod = NULL;
  _cleanup_free_ char *path = container_path (id, "/json");
  if (engine_get_json (c, path, &ins, err) < 0)
    return -1;
  const char *got
      = json_string_value (json_object_get (json_object_get (ins, "HostConfig"), "Runtime"));
  if (got && strcmp (got, "oci") == 0 && strcmp (want, "oci") != 0)
    {
      _cleanup_free_ char *lp = xasprintf ("/libpod%s", path);
      if (engine_get_json (c, lp, &libpod, err) < 0)
        return -1;
      got = json_string_value (json_object_get (libpod, "OCIRuntime"));
    }
  if (got && strcmp (got, want) == 0)
    return 0;
  return sbx_fail (
      err, SBX_ERR_ENGINE,
      "the engine gave the container the OCI runtime '%s', not '%s' as asked (podman's "
      "Docker-compatible API ignores the runtime a container asks for); use an engine "
      "that honours it, such as dockerd with '%s' in its daemon.json \"runtimes\"",
      got ? got : "unknown", want, want);
}

int
engine_container_create (engine_client *c, const char *name, json_t *config, char **id,
                         sbx_error **err)
{
  _cleanup_free_ char *n = name ? engine_urlencode (name) : NULL;
  _cleanup_free_ char *path = n ? xasprintf ("/containers/create?name=%s", n)
                                : xstrdup ("/containers/create");
  _cleanup_json_ json_t *resp = NULL;
  if (engine_post_json (c, path, config, &resp, err) < 0)
    return -1;
  const char *cid = json_string_value (json_object_get (resp, "Id"));
  if (!cid)
    return sbx_fail (err, SBX_ERR_ENGINE, "creating container %s: the engine returned no Id",
                     name ? name : "");
  const char *rt
      = json_string_value (json_object_get (json_object_get (config, "HostConfig"), "Runtime"));
  if (rt && *rt && check_runtime (c, cid, rt, err) < 0)
    {
      engine_container_remove (c, cid, true, NULL);
      return sbx_error_prefix (err, "creating container %s", name ? name : cid);
    }
  if (id)
    *id = xstrdup (cid);
  return 0;
}

int
engine_container_start (engine_client *c, const char *id, sbx_error **err)
{
  _cleanup_free_ char *path = container_path (id, "/start");
  return engine_post_json (c, path, NULL, NULL, err); /* 304: already started */
}

int
engine_container_stop (engine_client *c, const char *id, int timeout_s, sbx_error **err)
{
  _cleanup_free_ char *suffix = xasprintf ("/stop?t=%d", timeout_s);
  _cleanup_free_ char *path = container_path (id, suffix);
  return engine_post_json (c, path, NULL, NULL, err);
}

int
engine_container_kill (engine_client *c, const char *id, const char *signal, sbx_error **err)
{
  _cleanup_free_ char *s = engine_urlencode (signal ? signal : "SIGKILL");
  _cleanup_free_ char *suffix = xasprintf ("/kill?signal=%s", s);
  _cleanup_free_ char *path = container_path (id, suffix);
  return engine_post_json (c, path, NULL, NULL, err);
}

int
engine_container_remove (engine_client *c, const char *id, bool force, sbx_error **err)
{
  _cleanup_free_ char *path = container_path (id, force ? "?force=true&v=true" : "?v=true");
  return engine_delete (c, path, err);
}

int
engine_container_rename (engine_client *c, const char *id, const char *name, sbx_error **err)
{
  _cleanup_free_ char *n = engine_urlencode (name);
  _cleanup_free_ char *suffix = xasprintf ("/rename?name=%s", n);
  _cleanup_free_ char *path = container_path (id, suffix);
  return engine_post_json (c, path, NULL, NULL, err);
}

int
engine_container_inspect (engine_client *c, const char *id, json_t **out, sbx_error **err)
{
  _cleanup_free_ char *path = container_path (id, "/json");
  return engine_get_json (c, path, out, err);
}

int
engine_container_list (engine_client *c, const char *label, bool all, json_t **out,
                       sbx_error **err)
{
  _cleanup_free_ char *f = label ? engine_label_filter (label) : NULL;
  _cleanup_free_ char *path = xasprintf ("/containers/json?all=%s%s%s", all ? "true" : "false",
                                         f ? "&filters=" : "", f ? f : "");
  if (engine_get_json (c, path, out, err) < 0)
    return -1;
  /* podman 4.3 adds "Config": null and "Name": "" to each entry, the keys
     of an inspect answer: drop them, so that an entry has Docker's shape. */
  size_t i;
  json_t *ct;
  json_array_foreach (*out, i, ct)
  {
    if (json_is_null (json_object_get (ct, "Config")))
      {
        json_object_del (ct, "Config");
        json_object_del (ct, "Name");
      }
  }
  return 0;
}

int
engine_container_wait (engine_client *c, const char *id, const char *condition, long *exit_code,
                       sbx_error **err)
{
  _cleanup_free_ char *suffix = xasprintf ("/wait?condition=%s", condition ? condition : "not-running");
  _cleanup_free_ char *path = container_path (id, suffix);
  _cleanup_json_ json_t *resp = NULL;
  /* Its end is the container's: no bound of its own. */
  engine_request req = { .method = "POST", .path = path, .timeout_ms = -1 };
  if (engine_call (c, &req, NULL, &resp, err) < 0)
    return -1;
  json_t *e = json_object_get (resp, "Error");
  const char *msg = json_string_value (json_object_get (e, "Message"));
  if (msg && *msg)
    return sbx_fail (err, SBX_ERR_ENGINE, "waiting for container %s: engine: %s", id, msg);
  if (exit_code)
    *exit_code = (long) json_integer_value (json_object_get (resp, "StatusCode"));
  return 0;
}

int
engine_container_commit (engine_client *c, const char *id, const char *repo, const char *tag,
                         char **image_id, sbx_error **err)
{
  _cleanup_free_ char *e = engine_urlencode (id);
  _cleanup_free_ char *r = engine_urlencode (repo);
  _cleanup_free_ char *t = engine_urlencode (tag);
  _cleanup_free_ char *path = xasprintf ("/commit?container=%s&repo=%s&tag=%s", e, r, t);
  _cleanup_json_ json_t *resp = NULL;
  /* An empty configuration (the container's own): podman 4.3 fails a
     commit without a body ("Decode(): EOF"). */
  _cleanup_json_ json_t *body = json_object ();
  if (engine_post_json (c, path, body, &resp, err) < 0)
    return -1;
  const char *iid = json_string_value (json_object_get (resp, "Id"));
  if (image_id)
    *image_id = iid ? xstrdup (iid) : NULL;
  return 0;
}
