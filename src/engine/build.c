/* build.c: POST /build with a streamed tar context; the JSON-lines answer
   is split into lines in one fixed buffer and each line decoded on its own. */
#include "engine/build.h"
#include "util.h"

#include <string.h>

void
engine_build_parser_init (engine_build_parser *p, engine_build_cb cb, void *ud)
{
  memset (p, 0, sizeof *p);
  p->line = xmalloc (ENGINE_BUILD_LINE_MAX);
  p->cb = cb;
  p->ud = ud;
}

void
engine_build_parser_clear (engine_build_parser *p)
{
  free (p->line);
  free (p->image_id);
  free (p->error);
  memset (p, 0, sizeof *p);
}

static int
emit (engine_build_parser *p, engine_build_event_kind kind, const char *text, size_t len, int code,
      sbx_error **err)
{
  if (!p->cb)
    return 0;
  engine_build_event ev = { .kind = kind, .text = text, .len = len, .code = code };
  return p->cb (&ev, p->ud, err);
}

static int
set_error (engine_build_parser *p, const char *msg, size_t len, int code, sbx_error **err)
{
  if (!p->error)
    {
      p->error = xstrndup (msg, len);
      p->error_code = code;
    }
  return emit (p, ENGINE_BUILD_ERROR, msg, len, code, err);
}

/* A line longer than the buffer: its start tells what it was. */
static int
overflow_line (engine_build_parser *p, sbx_error **err)
{
  static const char note[] = "[sbx: a build output line longer than 256 KiB was dropped]\n";
  size_t n = p->len < 64 ? p->len : 64;
  if (memmem (p->line, n, "\"error", 6))
    {
      static const char msg[] = "the build failed (the engine's error message is longer than 256 KiB)";
      return set_error (p, msg, sizeof msg - 1, 0, err);
    }
  return emit (p, ENGINE_BUILD_STREAM, note, sizeof note - 1, 0, err);
}

/* podman (buildah) numbers the steps in each stage, "[2/3] STEP 1/4: FROM x",
   ends a step with "--> id" and adds one LABEL step per label at the end;
   Docker's classic builder, whose output sbx reads, numbers them across
   the Dockerfile, "Step 5/9 : FROM x", and ends a step with " ---> id".  A
   buildah line is passed on in Docker's form (a stage that buildah skips
   is not counted), "" when it is dropped, or NULL when it is not one
   ("--> " only after a buildah step: with Docker, it is a command's
   output). */
static bool
image_id_line (const char *t)
{
  return strlen (t) == 64 && strspn (t, "0123456789abcdef") == 64;
}

static char *
buildah_line (engine_build_parser *p, const char *s, size_t n)
{
  /* Docker's builder said "Step" first: what looks like buildah's is a
     command's output. */
  if (p->docker || (p->stage == 0 && n > 5 && memcmp (s, "Step ", 5) == 0))
    {
      p->docker = true;
      return NULL;
    }
  _cleanup_free_ char *l = xstrndup (s, n);
  char *t = l;
  int stage = 1, stages, k, m, off = 0;
  bool tagged = p->tagged;
  p->tagged = false;
  if (p->stage != 0 && strncmp (t, "--> ", 4) == 0)
    return xasprintf (" ---> %s", t + 4);
  /* buildah's own lines, which Docker's builder has no word for: dropped
     (its image id after "Successfully tagged", not a command's output). */
  if (p->stage != 0 && tagged && image_id_line (t))
    return xstrdup ("");
  p->tagged = p->stage != 0 && strncmp (t, "Successfully tagged ", 20) == 0;
  if (sscanf (t, "[%d/%d] %n", &stage, &stages, &off) == 2 && off > 0)
    t += off;
  if (p->stage != 0 && strncmp (t, "COMMIT ", 7) == 0)
    return xstrdup ("");
  off = 0;
  if (sscanf (t, "STEP %d/%d: %n", &k, &m, &off) != 2 || off == 0 || k < 1 || m < k)
    return NULL;
  if (p->stage != 0 && stage != p->stage)
    p->base += p->stage_steps;
  p->stage = stage;
  p->stage_steps = m;
  return xasprintf ("Step %d/%d : %s", p->base + k, p->base + m, t + off);
}

/* podman's failed RUN, "building at STEP \"RUN x\": while running runtime:
   exit status 7", in Docker's words: "The command 'RUN x' returned a
   non-zero code: 7"; NULL when it is another error. */
static char *
buildah_error (const char *msg, size_t len)
{
  static const char head[] = "building at STEP \"",
                    mid[] = "\": while running runtime: exit status ";
  if (len < sizeof head - 1 || memcmp (msg, head, sizeof head - 1) != 0)
    return NULL;
  const char *cmd = msg + sizeof head - 1;
  const char *q = memmem (cmd, len - (size_t) (cmd - msg), mid, sizeof mid - 1);
  int code;
  if (!q || sscanf (q + sizeof mid - 1, "%d", &code) != 1)
    return NULL;
  return xasprintf ("The command '%.*s' returned a non-zero code: %d", (int) (q - cmd), cmd, code);
}

static int
decode_line (engine_build_parser *p, sbx_error **err)
{
  const char *s = p->line;
  size_t n = p->len;
  while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
    n--;
  while (n && (*s == ' ' || *s == '\t'))
    s++, n--;
  if (n == 0)
    return 0;
  json_error_t jerr;
  _cleanup_json_ json_t *j = json_loadb (s, n, JSON_ALLOW_NUL, &jerr);
  if (!json_is_object (j))
    {
      /* Not JSON: pass it on as output rather than lose it. */
      if (emit (p, ENGINE_BUILD_STREAM, s, n, 0, err) < 0)
        return -1;
      return emit (p, ENGINE_BUILD_STREAM, "\n", 1, 0, err);
    }
  json_t *e = json_object_get (j, "error");
  json_t *detail = json_object_get (j, "errorDetail");
  if (e || detail)
    {
      json_t *m = json_object_get (detail, "message");
      if (!json_is_string (m))
        m = e;
      int code = (int) json_integer_value (json_object_get (detail, "code"));
      _cleanup_free_ char *docker
          = json_is_string (m) ? buildah_error (json_string_value (m), json_string_length (m))
                               : NULL;
      if (docker)
        return set_error (p, docker, strlen (docker), code, err);
      if (json_is_string (m))
        return set_error (p, json_string_value (m), json_string_length (m), code, err);
      static const char unknown[] = "the build failed (the engine gave no message)";
      return set_error (p, unknown, sizeof unknown - 1, code, err);
    }
  json_t *v = json_object_get (j, "stream");
  size_t vn = json_string_length (v);
  const char *vs = json_string_value (v);
  _cleanup_free_ char *docker = vs && vn > 0 && vs[vn - 1] == '\n' && !memchr (vs, '\n', vn - 1)
                                    ? buildah_line (p, vs, vn - 1)
                                    : NULL;
  if (docker && !*docker)
    ; /* dropped */
  else if (docker)
    {
      if (emit (p, ENGINE_BUILD_STREAM, docker, strlen (docker), 0, err) < 0
          || emit (p, ENGINE_BUILD_STREAM, "\n", 1, 0, err) < 0)
        return -1;
    }
  else if (vs && emit (p, ENGINE_BUILD_STREAM, vs, vn, 0, err) < 0)
    return -1;
  v = json_object_get (j, "status");
  if (json_is_string (v))
    {
      const char *prog = json_string_value (json_object_get (j, "progress"));
      const char *id = json_string_value (json_object_get (j, "id"));
      _cleanup_free_ char *line = xasprintf ("%s%s%s%s%s", id ? id : "", id ? ": " : "",
                                             json_string_value (v), prog ? " " : "",
                                             prog ? prog : "");
      if (emit (p, ENGINE_BUILD_STATUS, line, strlen (line), 0, err) < 0)
        return -1;
    }
  v = json_object_get (json_object_get (j, "aux"), "ID");
  if (json_is_string (v))
    {
      free (p->image_id);
      p->image_id = xstrdup (json_string_value (v));
      if (emit (p, ENGINE_BUILD_AUX_ID, p->image_id, strlen (p->image_id), 0, err) < 0)
        return -1;
    }
  return 0;
}

static int
end_line (engine_build_parser *p, sbx_error **err)
{
  int r = p->overflow ? overflow_line (p, err) : decode_line (p, err);
  p->len = 0;
  p->overflow = false;
  return r;
}

int
engine_build_parser_feed (engine_build_parser *p, const char *data, size_t len, sbx_error **err)
{
  while (len > 0)
    {
      const char *nl = memchr (data, '\n', len);
      size_t n = nl ? (size_t) (nl - data) : len;
      size_t room = ENGINE_BUILD_LINE_MAX - p->len;
      if (n > room)
        {
          p->overflow = true;
          memcpy (p->line + p->len, data, room);
          p->len += room;
        }
      else
        {
          memcpy (p->line + p->len, data, n);
          p->len += n;
        }
      if (!nl)
        break;
      if (end_line (p, err) < 0)
        return -1;
      data += n + 1;
      len -= n + 1;
    }
  return 0;
}

int
engine_build_parser_finish (engine_build_parser *p, sbx_error **err)
{
  if (p->len > 0 || p->overflow)
    return end_line (p, err);
  return 0;
}

static void
query_add (char **q, const char *name, const char *value)
{
  _cleanup_free_ char *e = engine_urlencode (value);
  char *n = xasprintf ("%s%s%s=%s", *q, **q ? "&" : "", name, e);
  free (*q);
  *q = n;
}

static void
query_add_json (char **q, const char *name, json_t *obj)
{
  if (!obj || json_object_size (obj) == 0)
    return;
  _cleanup_free_ char *s = json_dumps (obj, JSON_COMPACT | JSON_SORT_KEYS);
  if (s)
    query_add (q, name, s);
}

char *
engine_build_query (const engine_build_opts *o)
{
  char *q = xstrdup ("");
  query_add (&q, "dockerfile", o->dockerfile ? o->dockerfile : "Dockerfile");
  if (o->tag)
    query_add (&q, "t", o->tag);
  query_add_json (&q, "labels", o->labels);
  query_add_json (&q, "buildargs", o->buildargs);
  if (o->target && *o->target)
    query_add (&q, "target", o->target);
  if (json_array_size (o->cachefrom) > 0)
    {
      _cleanup_free_ char *cf = json_dumps (o->cachefrom, JSON_COMPACT);
      query_add (&q, "cachefrom", cf);
    }
  if (o->nocache)
    query_add (&q, "nocache", "1");
  query_add (&q, "rm", "1");
  query_add (&q, "forcerm", "1");
  return q;
}

static int
on_answer (const char *data, size_t len, void *ud, sbx_error **err)
{
  return engine_build_parser_feed (ud, data, len, err);
}

int
engine_build (engine_client *c, const engine_build_opts *o, char **image_id, sbx_error **err)
{
  _cleanup_free_ char *q = engine_build_query (o);
  _cleanup_free_ char *path = xasprintf ("/build?%s", q);
  engine_build_parser p;
  engine_build_parser_init (&p, o->on_event, o->ud);
  engine_request req = { .method = "POST", .path = "/build", .upload = o->context,
                         .upload_ud = o->context_ud, .content_type = "application/x-tar",
                         .on_data = on_answer, .ud = &p };
  req.path = path;
  int ret = engine_call (c, &req, NULL, NULL, err);
  if (ret == 0)
    ret = engine_build_parser_finish (&p, err);
  if (ret == 0 && p.error)
    {
      ret = sbx_fail (err, SBX_ERR_ENGINE, "%s", p.error);
      if (err && *err)
        (*err)->http_status = 200;
    }
  else if (ret == 0 && !p.image_id)
    ret = sbx_fail (err, SBX_ERR_ENGINE,
                    "the engine ended the build without an image id; see its output above");
  if (ret == 0 && image_id)
    *image_id = steal_pointer (&p.image_id);
  engine_build_parser_clear (&p);
  return ret;
}
