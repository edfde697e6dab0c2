/* cache.c: devenv_get_or_build: reuse the image tagged with the key, else build it
   through the engine (one build at a time per project), following the
   builder's progress in bounded buffers. */
#include "devenv/image/image.h"
#include "devenv/image/buildlock.h"
#include "devenv/image/plan_internal.h"
#include "devenv/image/tar.h"
#include "engine/build.h"
#include "util.h"

#include <string.h>
#include <strings.h>

#define LINE_MAX_KEPT 2048
#define TAIL_LINES 20

typedef struct build_state
{
  const devenv_options *o;
  const devenv_plan *plan;
  const devenv_dockerfile *df;
  char line[LINE_MAX_KEPT];
  size_t len;
  int step, steps; /* as reported: the Dockerfile's steps, sbx's LABELs apart */
  size_t n_labels; /* the LABEL steps the build request adds (after the Dockerfile's) */
  bool sbx_step;   /* the current step is one of those */
  size_t next;     /* the Dockerfile's instruction after the last step matched */
  size_t step_ins; /* 1 + the index of the current step's instruction; 0: unknown */
  char *tail[TAIL_LINES];
  size_t tail_n, tail_pos;
} build_state;

void
devenv_result_clear (devenv_result *r)
{
  free (r->image);
  free (r->image_id);
  free (r->dockerfile);
  free (r->failure.instruction);
  free (r->failure.tail);
  memset (r, 0, sizeof *r);
}

static void
emit (const devenv_options *o, const devenv_event *ev)
{
  if (o && o->progress)
    o->progress (ev, o->progress_ud);
}

static void
emit_text (const devenv_options *o, const devenv_plan *plan, devenv_event_kind kind,
           const char *text)
{
  devenv_event ev = { .kind = kind, .text = text, .plan = plan };
  emit (o, &ev);
}

static void
tail_reset (build_state *s)
{
  for (size_t i = 0; i < TAIL_LINES; i++)
    {
      free (s->tail[i]);
      s->tail[i] = NULL;
    }
  s->tail_n = s->tail_pos = 0;
}

static void
tail_push (build_state *s, const char *line)
{
  free (s->tail[s->tail_pos]);
  s->tail[s->tail_pos] = xstrdup (line);
  s->tail_pos = (s->tail_pos + 1) % TAIL_LINES;
  if (s->tail_n < TAIL_LINES)
    s->tail_n++;
}

static char *
tail_join (build_state *s)
{
  if (s->tail_n == 0)
    return NULL;
  size_t total = 1;
  size_t first = (s->tail_pos + TAIL_LINES - s->tail_n) % TAIL_LINES;
  for (size_t i = 0; i < s->tail_n; i++)
    total += strlen (s->tail[(first + i) % TAIL_LINES]) + 1;
  char *out = xmalloc (total), *o = out;
  for (size_t i = 0; i < s->tail_n; i++)
    {
      const char *l = s->tail[(first + i) % TAIL_LINES];
      size_t n = strlen (l);
      memcpy (o, l, n);
      o += n;
      *o++ = '\n';
    }
  *o = '\0';
  return out;
}

static bool
starts (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

/* Drop terminal escape sequences (the builder colours a step's stderr). */
static void
strip_escapes (char *l)
{
  char *o = l;
  for (char *p = l; *p;)
    {
      if (p[0] == '\033' && p[1] == '[')
        {
          p += 2;
          while (*p && ((*p >= '0' && *p <= '9') || *p == ';' || *p == '?'))
            p++;
          if (*p)
            p++;
          continue;
        }
      *o++ = *p++;
    }
  *o = '\0';
}

/* Words of an instruction, whitespace collapsed, compared: is a the same
   text as b? */
static bool
same_words (const char *a, const char *b)
{
  for (;;)
    {
      while (*a == ' ' || *a == '\t')
        a++;
      while (*b == ' ' || *b == '\t')
        b++;
      if (!*a || !*b)
        return !*a && !*b;
      for (; *a && *a != ' ' && *a != '\t'; a++, b++)
        if (*a != *b)
          return false;
      if (*b && *b != ' ' && *b != '\t')
        return false;
    }
}

/* The stage name of a FROM ("FROM x AS name"), or NULL. */
static const char *
from_name (const char *text)
{
  const char *as = NULL;
  for (const char *p = text; (p = strchr (p, ' ')); p++)
    if (strncasecmp (p, " AS ", 4) == 0)
      as = p + 4;
  while (as && *as == ' ')
    as++;
  return as && *as ? as : NULL;
}

/* The instruction a step of another builder's count is: the next of the
   Dockerfile's instructions (from s->next) with the same keyword and
   words; a FROM by its stage name (podman names the base of a stage built
   on another by the image id).  NULL when none is, and no line is named. */
static const devenv_instruction *
step_instruction (build_state *s, const char *text)
{
  size_t kw = strcspn (text, " \t");
  const char *name = kw == 4 && strncasecmp (text, "FROM", 4) == 0 ? from_name (text) : NULL;
  bool from = kw == 4 && strncasecmp (text, "FROM", 4) == 0;
  for (size_t i = s->next; i < s->df->n_built; i++)
    {
      const devenv_instruction *in = &s->df->ins[i];
      if (!from && strcmp (in->cmd, "FROM") == 0)
        return NULL; /* not in the stage of the last step */
      if (strlen (in->cmd) != kw || strncasecmp (in->cmd, text, kw) != 0)
        continue;
      const char *iname = name ? from_name (in->text) : NULL;
      if (name ? iname && same_words (iname, name) : same_words (in->text, text))
        {
          s->next = i + 1;
          return in;
        }
    }
  return NULL;
}

static void
line_done (build_state *s)
{
  s->line[s->len] = '\0';
  s->len = 0;
  strip_escapes (s->line);
  const char *l = s->line;
  int n, m, off = 0;
  if (sscanf (l, "Step %d/%d : %n", &n, &m, &off) == 2 && off > 0)
    {
      /* The builder counts the Dockerfile's instructions it runs, then the
         LABELs of the request: when the counts agree, step n is the n-th
         instruction (its line is known) or one of sbx's LABELs (a note,
         never a line of the user's file); else no line is named. */
      size_t built = s->df->n_built;
      bool counted = m > 0 && (size_t) m == built + s->n_labels && s->n_labels > 0;
      tail_reset (s);
      s->step_ins = 0;
      s->sbx_step = counted && n >= 1 && (size_t) n > built;
      if (s->sbx_step)
        {
          s->step = n;
          s->steps = m;
          _cleanup_free_ char *t = xasprintf ("%s (added by sbx)", l + off);
          emit_text (s->o, s->plan, DEVENV_EV_NOTE, t);
          return;
        }
      s->step = n;
      s->steps = counted ? (int) built : m;
      devenv_event ev = {
        .kind = DEVENV_EV_STEP, .text = l + off, .step = n, .steps = s->steps, .plan = s->plan
      };
      if (counted && n >= 1)
        {
          s->step_ins = (size_t) n;
          ev.line = s->df->ins[n - 1].line;
        }
      else if (!counted)
        {
          /* Another count (podman's: no step for an ARG before the first
             FROM, a stage the target does not need skipped, no LABEL step
             with a target): the step is named by what it runs. */
          const devenv_instruction *in = step_instruction (s, l + off);
          if (in)
            {
              s->step_ins = (size_t) (in - s->df->ins) + 1;
              s->step = ev.step = (int) s->step_ins;
              s->steps = ev.steps = (int) built;
              ev.line = in->line;
              ev.text = in->text;
            }
          else if (strncasecmp (l + off, "LABEL ", 6) == 0 && strstr (l + off, DEVENV_LABEL_PREFIX))
            {
              s->sbx_step = true;
              _cleanup_free_ char *t = xasprintf ("%s (added by sbx)", l + off);
              emit_text (s->o, s->plan, DEVENV_EV_NOTE, t);
              return;
            }
        }
      emit (s->o, &ev);
      return;
    }
  if (starts (l, " ---> ") || starts (l, "Removing intermediate container")
      || starts (l, "Successfully built ") || starts (l, "Successfully tagged "))
    {
      emit_text (s->o, s->plan, DEVENV_EV_NOTE, l);
      return;
    }
  tail_push (s, l);
  emit_text (s->o, s->plan, DEVENV_EV_OUTPUT, l);
}

static int
on_build_event (const engine_build_event *ev, void *ud, sbx_error **err)
{
  build_state *s = ud;
  if (ev->kind == ENGINE_BUILD_STREAM)
    {
      for (size_t i = 0; i < ev->len; i++)
        {
          char c = ev->text[i];
          if (c == '\n')
            line_done (s);
          else if (c == '\r')
            s->len = 0; /* a progress redraw: keep the last version */
          else
            {
              if (s->len == sizeof s->line - 1)
                line_done (s);
              s->line[s->len++] = c;
            }
        }
    }
  else if (ev->kind == ENGINE_BUILD_STATUS)
    {
      _cleanup_free_ char *t = xstrndup (ev->text, ev->len);
      emit_text (s->o, s->plan, DEVENV_EV_STATUS, t);
    }
  return 0;
}

static json_t *
buildargs_json (char *const *args)
{
  json_t *o = json_object ();
  for (char *const *a = args; a && *a; a++)
    {
      const char *eq = strchr (*a, '=');
      _cleanup_free_ char *k = xstrndup (*a, eq ? (size_t) (eq - *a) : strlen (*a));
      json_object_set_new (o, k, json_string (eq ? eq + 1 : ""));
    }
  return o;
}

const char *
devenv_image_label (const json_t *img, const char *label)
{
  json_t *config = json_object_get (img, "Config");
  json_t *labels = json_object_get (config ? config : img, "Labels");
  return json_string_value (json_object_get (labels, label));
}

/* Does the image ref exist with this full key?  *id its id. */
static int
lookup (engine_client *c, const char *ref, const char *key, bool *found, char **id, sbx_error **err)
{
  *found = false;
  _cleanup_json_ json_t *ins = NULL;
  sbx_error *e = NULL;
  /* The cache hit asks only this: without libcurl when it can. */
  int r = engine_image_inspect_direct (c, ref, &ins, &e);
  if (r > 0)
    r = engine_image_inspect (c, ref, &ins, &e);
  if (r < 0)
    {
      if (e->code == SBX_ERR_NOT_FOUND)
        {
          sbx_error_free (e);
          return 0;
        }
      *err = e;
      return sbx_error_prefix (err, "inspecting %s", ref);
    }
  const char *k = devenv_image_label (ins, DEVENV_LABEL_KEY);
  const char *image_id = json_string_value (json_object_get (ins, "Id"));
  if (!k || strcmp (k, key) != 0 || !image_id)
    return 0; /* a tag made by someone else, or a key12 collision: rebuild */
  *found = true;
  if (id)
    *id = xstrdup (image_id);
  return 0;
}

static bool
image_exists (engine_client *c, const char *ref)
{
  _cleanup_json_ json_t *ins = NULL;
  sbx_error *e = NULL;
  if (engine_image_inspect (c, ref, &ins, &e) == 0)
    return true;
  sbx_error_free (e);
  return false;
}

static void
on_wait (void *ud)
{
  build_state *s = ud;
  emit_text (s->o, s->plan, DEVENV_EV_WAITING, s->plan->image);
}

static void
fill_result (devenv_result *res, const devenv_plan *plan)
{
  free (res->image);
  res->image = xstrdup (plan->image);
  memcpy (res->key, plan->key, sizeof res->key);
  free (res->dockerfile);
  res->dockerfile = xstrdup (plan->src.display);
}

static int
build (engine_client *c, devenv_plan *plan, const devenv_options *o, build_state *s, bool nocache,
       devenv_result *res, sbx_error **err)
{
  plan_internal *in = plan->internal;
  /* What a build before this one (a retry) saw of its steps. */
  s->step = s->steps = 0;
  s->next = s->step_ins = 0;
  s->sbx_step = false;
  s->len = 0;
  _cleanup_tar_ devenv_tar *tar = devenv_tar_new (in->ctx, in->extra);
  _cleanup_json_ json_t *labels
      = json_pack ("{s:s,s:s,s:s}", DEVENV_LABEL_PROJECT, plan->project_dir, DEVENV_LABEL_KEY,
                   plan->key, DEVENV_LABEL_DOCKERFILE, plan->src.display);
  json_object_set_new (labels, DEVENV_LABEL_OWNER, json_sprintf ("%u", (unsigned) getuid ()));
  _cleanup_json_ json_t *args = buildargs_json (plan->build_args);
  /* devcontainer.json build.cacheFrom: images whose layers the engine may
     reuse (the classic builder takes those it has). */
  _cleanup_json_ json_t *cachefrom = json_array ();
  for (char **cf = plan->src.cache_from; cf && *cf; cf++)
    json_array_append_new (cachefrom, json_string (*cf));
  s->n_labels = json_object_size (labels);
  engine_build_opts bo = { .context = devenv_tar_read,
                           .context_ud = tar,
                           .dockerfile = in->df_name,
                           .tag = plan->image,
                           .labels = labels,
                           .buildargs = args,
                           .target = plan->target,
                           .cachefrom = cachefrom,
                           .nocache = nocache,
                           .on_event = on_build_event,
                           .ud = s };
  devenv_event up = { .kind = DEVENV_EV_UPLOAD, .count = in->ctx->n, .plan = plan };
  emit (o, &up);
  _cleanup_free_ char *id = NULL;
  int r = engine_build (c, &bo, &id, err);
  res->upload_bytes = devenv_tar_bytes (tar);
  if (s->len > 0)
    line_done (s);
  if (r < 0)
    {
      sbx_error *te = NULL;
      if (devenv_tar_error (tar, &te) < 0)
        {
          sbx_error_free (*err);
          *err = te;
          return -1;
        }
      if ((*err)->code == SBX_ERR_INTERRUPTED)
        {
          sbx_error_free (*err);
          *err = NULL;
          return sbx_fail (err, SBX_ERR_INTERRUPTED,
                           "building %s interrupted; the engine stopped the build and %s was not "
                           "tagged",
                           plan->src.display, plan->image);
        }
      if ((*err)->http_status == 200)
        {
          /* The build ran and a step failed. */
          devenv_failure *f = &res->failure;
          f->step = s->step;
          f->steps = s->steps;
          if (s->sbx_step)
            {
              f->instruction = xstrdup ("LABEL (added by sbx)");
              f->tail = tail_join (s);
              _cleanup_free_ char *msg = xstrdup ((*err)->msg);
              sbx_error_free (*err);
              *err = NULL;
              return sbx_fail (err, SBX_ERR_ENGINE,
                               "building %s failed at a LABEL step sbx adds (not in the "
                               "Dockerfile): %s",
                               plan->src.display, msg);
            }
          if (s->step_ins)
            {
              f->line = in->df->ins[s->step_ins - 1].line;
              f->instruction = xstrdup (in->df->ins[s->step_ins - 1].text);
            }
          f->tail = tail_join (s);
          _cleanup_free_ char *msg = xstrdup ((*err)->msg);
          sbx_error_free (*err);
          *err = NULL;
          if (f->line)
            return sbx_fail (err, SBX_ERR_ENGINE, "%s:%d: step %d/%d '%s' failed: %s",
                             plan->src.display, f->line, f->step, f->steps, f->instruction, msg);
          return sbx_fail (err, SBX_ERR_ENGINE, "building %s failed: %s", plan->src.display, msg);
        }
      return sbx_error_prefix (err, "building %s", plan->src.display);
    }
  res->image_id = steal_pointer (&id);
  res->built = true;
  devenv_event ev = { .kind = DEVENV_EV_BUILT, .text = res->image_id, .plan = plan };
  emit (o, &ev);
  return 0;
}

/* Did the build fail because an image it used as a cached layer was
   removed at the same time (by gc, another build's cleanup, another tool)?
   The classic builder says so in three ways, each naming the image id;
   podman's (buildah) in a fourth, when it checks its cache. */
static bool
cache_vanished (const char *msg)
{
  return strstr (msg, "failed to get digest") != NULL
         || strstr (msg, "unable to find image \"sha256:") != NULL
         || strstr (msg, "No such image: sha256:") != NULL
         || (strstr (msg, "cached image") && strstr (msg, "layer not known"));
}

int
devenv_get_or_build_plan (engine_client *c, devenv_plan *plan, const devenv_options *o,
                          devenv_result *res, sbx_error **err)
{
  memset (res, 0, sizeof *res);
  fill_result (res, plan);
  devenv_event pev = { .kind = DEVENV_EV_PLAN, .plan = plan, .count = plan->files };
  emit (o, &pev);
  for (char **w = plan->warnings; w && *w; w++)
    emit_text (o, plan, DEVENV_EV_WARNING, *w);
  bool no_cache = o && o->no_cache;
  bool found = false;
  if (!no_cache)
    {
      if (lookup (c, plan->image, plan->key, &found, &res->image_id, err) < 0)
        return -1;
      if (found)
        {
          emit_text (o, plan, DEVENV_EV_REUSED, plan->image);
          return 0;
        }
    }
  plan_internal *in = plan->internal;
  build_state s = { .o = o, .plan = plan, .df = in->df };
  _cleanup_close_ int lock = -1;
  bool waited = false;
  if (devenv_lock_project (plan->project_id, o ? o->cancel : NULL, on_wait, &s, &lock, &waited, err)
      < 0)
    return -1;
  res->waited = waited;
  if (waited && !no_cache)
    {
      /* Whoever held the lock may have built this very key. */
      if (lookup (c, plan->image, plan->key, &found, &res->image_id, err) < 0)
        return -1;
      if (found)
        {
          emit_text (o, plan, DEVENV_EV_REUSED, plan->image);
          return 0;
        }
    }
  _cleanup_free_ char *marker = xasprintf ("%s:%s", plan->repo, DEVENV_TAG_INVALIDATED);
  bool invalidated = image_exists (c, marker);
  int r = build (c, plan, o, &s, no_cache || invalidated, res, err);
  tail_reset (&s);
  if (r < 0 && cache_vanished ((*err)->msg))
    {
      /* A cached layer vanished under the build: once more, without the
         cache. */
      sbx_error_freep (err);
      free (res->failure.instruction);
      free (res->failure.tail);
      memset (&res->failure, 0, sizeof res->failure);
      r = build (c, plan, o, &s, true, res, err);
      tail_reset (&s);
    }
  if (r < 0)
    return -1;
  if (invalidated)
    {
      sbx_error *e = NULL;
      if (engine_image_remove (c, marker, false, &e) < 0)
        sbx_error_free (e); /* still in use: gc takes it later */
    }
  return 0;
}

int
devenv_get_or_build (engine_client *c, const sbx_project *p, const devenv_options *o,
                     devenv_result *res, sbx_error **err)
{
  memset (res, 0, sizeof *res);
  _cleanup_plan_ devenv_plan *plan = NULL;
  if (devenv_plan_new (p, o, &plan, err) < 0)
    return -1;
  return devenv_get_or_build_plan (c, plan, o, res, err);
}
