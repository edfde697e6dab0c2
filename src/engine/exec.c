/* exec.c: exec create, start (non-TTY, demultiplexed), inspect. */
#include "engine.h"
#include "util.h"

#include <string.h>

int
engine_exec_error (sbx_error **err)
{
  if (*err && (*err)->code == SBX_ERR_ENGINE && (*err)->msg
      && strstr ((*err)->msg, "is not running") != NULL)
    (*err)->code = SBX_ERR_CONFLICT;
  return -1;
}

int
engine_exec_create (engine_client *c, const char *container, const engine_exec_config *cfg,
                    char **id, sbx_error **err)
{
  _cleanup_json_ json_t *body = json_object ();
  json_t *cmd = json_array ();
  for (char *const *p = cfg->cmd; p && *p; p++)
    json_array_append_new (cmd, json_string (*p));
  json_object_set_new (body, "Cmd", cmd);
  if (cfg->env)
    {
      json_t *env = json_array ();
      for (char *const *p = cfg->env; *p; p++)
        json_array_append_new (env, json_string (*p));
      json_object_set_new (body, "Env", env);
    }
  if (cfg->workdir)
    json_object_set_new (body, "WorkingDir", json_string (cfg->workdir));
  if (cfg->user)
    json_object_set_new (body, "User", json_string (cfg->user));
  json_object_set_new (body, "Tty", json_boolean (cfg->tty));
  json_object_set_new (body, "AttachStdin", json_boolean (cfg->attach_stdin));
  json_object_set_new (body, "AttachStdout", json_true ());
  json_object_set_new (body, "AttachStderr", json_true ());

  _cleanup_free_ char *e = engine_urlencode (container);
  _cleanup_free_ char *path = xasprintf ("/containers/%s/exec", e);
  _cleanup_json_ json_t *resp = NULL;
  if (engine_post_json (c, path, body, &resp, err) < 0)
    return engine_exec_error (err);
  const char *eid = json_string_value (json_object_get (resp, "Id"));
  if (!eid)
    return sbx_fail (err, SBX_ERR_ENGINE, "exec in %s: the engine returned no Id", container);
  *id = xstrdup (eid);
  return 0;
}

static int
demux_data (const char *data, size_t len, void *ud, sbx_error **err)
{
  return engine_demux_feed (ud, data, len, err);
}

int
engine_exec_start (engine_client *c, const char *exec_id, engine_output_cb cb, void *ud,
                   long timeout_ms, sbx_error **err)
{
  engine_demux d;
  engine_demux_init (&d, cb, ud);
  _cleanup_free_ char *path = xasprintf ("/exec/%s/start", exec_id);
  _cleanup_json_ json_t *body = json_pack ("{s:b,s:b}", "Detach", 0, "Tty", 0);
  engine_request req = { .method = "POST", .path = path, .json = body, .on_data = demux_data,
                         .ud = &d, .timeout_ms = timeout_ms };
  if (engine_call (c, &req, NULL, NULL, err) < 0)
    return engine_exec_error (err);
  return engine_demux_finish (&d, err);
}

int
engine_exec_inspect (engine_client *c, const char *exec_id, engine_exec_state *st,
                     sbx_error **err)
{
  _cleanup_free_ char *path = xasprintf ("/exec/%s/json", exec_id);
  _cleanup_json_ json_t *resp = NULL;
  if (engine_get_json (c, path, &resp, err) < 0)
    return -1;
  st->running = json_is_true (json_object_get (resp, "Running"));
  st->exit_code = (int) json_integer_value (json_object_get (resp, "ExitCode"));
  st->pid = (long) json_integer_value (json_object_get (resp, "Pid"));
  return 0;
}
