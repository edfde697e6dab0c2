/* gc.c: remove exited sbx containers, and sbx images that no container
   uses, keeping each project's newest image, and the home volumes of
   projects that no longer exist; the caller's own (dev.sbx.owner, else the
   owner of the project directory), or everything. */
#include "devenv/devenv.h"
#include "sha256.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

void
devenv_gc_report_clear (devenv_gc_report *rep)
{
  for (size_t i = 0; i < rep->n; i++)
    {
      free (rep->items[i].kind);
      free (rep->items[i].id);
      free (rep->items[i].name);
      free (rep->items[i].project);
      free (rep->items[i].reason);
    }
  free (rep->items);
  strv_free (rep->errors);
  memset (rep, 0, sizeof *rep);
}

static void
add_item (devenv_gc_report *rep, const char *kind, const char *id, const char *name,
          const char *project, const char *reason)
{
  rep->items = xrealloc (rep->items, (rep->n + 1) * sizeof *rep->items);
  rep->items[rep->n++] = (devenv_gc_item) { .kind = xstrdup (kind), .id = xstrdup (id),
                                            .name = xstrdup (name ? name : ""),
                                            .project = xstrdup (project ? project : ""),
                                            .reason = xstrdup (reason) };
}

static void
add_error (devenv_gc_report *rep, sbx_error *e, const char *what)
{
  if (!rep->errors)
    rep->errors = xcalloc (1, sizeof *rep->errors);
  _cleanup_free_ char *m = xasprintf ("%s: %s", what, e->msg);
  strv_append (&rep->errors, m);
  sbx_error_free (e);
}

static bool
in_list (char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

/* Is it owner's: its dev.sbx.owner label, else (made before sbx recorded
   owners) the owner of its project directory.  owner NULL: everyone's. */
static bool
owned (const char *label, const char *project, const uid_t *owner)
{
  if (!owner)
    return true;
  if (label && *label)
    {
      char *end;
      unsigned long u = strtoul (label, &end, 10);
      return *end == '\0' && (uid_t) u == *owner;
    }
  struct stat st;
  return project && stat (project, &st) == 0 && st.st_uid == *owner;
}

/* The home volumes of projects whose directory is gone. */
static int
gc_volumes (engine_client *c, bool dry_run, const uid_t *owner, devenv_gc_report *rep,
            sbx_error **err)
{
  _cleanup_free_ char *f = engine_label_filter (DEVENV_LABEL_PROJECT);
  _cleanup_free_ char *path = xasprintf ("/volumes?filters=%s", f);
  _cleanup_json_ json_t *list = NULL;
  if (engine_get_json (c, path, &list, err) < 0)
    return sbx_error_prefix (err, "listing sbx volumes");
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (list, "Volumes"), i, v)
    {
      const char *name = json_string_value (json_object_get (v, "Name"));
      json_t *labels = json_object_get (v, "Labels");
      const char *project = json_string_value (json_object_get (labels, DEVENV_LABEL_PROJECT));
      const char *own = json_string_value (json_object_get (labels, DEVENV_LABEL_OWNER));
      struct stat st;
      if (!name || !project || project[0] != '/' || !owned (own, NULL, owner)
          || lstat (project, &st) == 0 || errno != ENOENT)
        continue;
      char hex[SBX_SHA256_HEX_LEN + 1];
      sbx_sha256_hex (project, strlen (project), hex);
      hex[12] = '\0';
      sbx_error *e = NULL;
      if (!dry_run && devenv_home_remove_named (c, name, hex, NULL, &e) < 0)
        {
          if (e->code == SBX_ERR_CONFLICT)
            sbx_error_free (e); /* a container still uses it */
          else
            add_error (rep, e, name);
          continue;
        }
      add_item (rep, "volume", name, name, project, "its project no longer exists");
    }
  return 0;
}

typedef struct image_ref
{
  json_t *img;
  const char *project;
  long long created;
} image_ref;

/* An image's creation time in nanoseconds: the list gives seconds only, and
   two builds of a project in one second must still be told apart. */
static long long
created_ns (engine_client *c, json_t *img)
{
  long long secs = json_integer_value (json_object_get (img, "Created"));
  const char *id = json_string_value (json_object_get (img, "Id"));
  _cleanup_json_ json_t *ins = NULL;
  sbx_error *e = NULL;
  if (!id || engine_image_inspect (c, id, &ins, &e) < 0)
    {
      sbx_error_free (e);
      return secs * 1000000000LL;
    }
  const char *t = json_string_value (json_object_get (ins, "Created"));
  struct tm tm = { 0 };
  const char *rest = t ? strptime (t, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  if (!rest)
    return secs * 1000000000LL;
  long long ns = 0;
  int digits = 0;
  if (*rest == '.')
    for (rest++; *rest >= '0' && *rest <= '9'; rest++)
      if (digits < 9)
        {
          ns = ns * 10 + (*rest - '0');
          digits++;
        }
  for (; digits < 9; digits++)
    ns *= 10;
  return (long long) timegm (&tm) * 1000000000LL + ns;
}

static int
by_project_newest (const void *a, const void *b)
{
  const image_ref *x = a, *y = b;
  int c = strcmp (x->project, y->project);
  if (c)
    return c;
  return x->created > y->created ? -1 : x->created < y->created;
}

static char *
tags_of (json_t *img)
{
  json_t *tags = json_object_get (img, "RepoTags");
  char *out = xstrdup ("");
  size_t i;
  json_t *t;
  json_array_foreach (tags, i, t)
    {
      const char *s = json_string_value (t);
      if (!s || strcmp (s, "<none>:<none>") == 0)
        continue;
      char *n = xasprintf ("%s%s%s", out, *out ? " " : "", s);
      free (out);
      out = n;
    }
  return out;
}

static int
remove_image (engine_client *c, json_t *img, sbx_error **err)
{
  json_t *tags = json_object_get (img, "RepoTags");
  size_t i;
  json_t *t;
  bool any = false;
  json_array_foreach (tags, i, t)
    {
      const char *s = json_string_value (t);
      if (!s || strcmp (s, "<none>:<none>") == 0)
        continue;
      any = true;
      if (engine_image_remove (c, s, false, err) < 0)
        return -1;
    }
  if (!any)
    return engine_image_remove (c, json_string_value (json_object_get (img, "Id")), false, err);
  return 0;
}

int
devenv_gc (engine_client *c, bool dry_run, const uid_t *owner, devenv_gc_report *rep,
           sbx_error **err)
{
  memset (rep, 0, sizeof *rep);
  _cleanup_json_ json_t *imgs = NULL;
  _cleanup_ctrs_ devenv_ctrs ctrs = { 0 };
  if (devenv_ctr_list (c, DEVENV_LABEL_MANAGED, true, &ctrs, err) < 0)
    return sbx_error_prefix (err, "listing sbx containers");
  if (engine_image_list (c, DEVENV_LABEL_PROJECT, &imgs, err) < 0)
    return sbx_error_prefix (err, "listing sbx images");

  _cleanup_strv_ char **used = xcalloc (1, sizeof *used);
  size_t i;
  for (i = 0; i < ctrs.n; i++)
    {
      const devenv_ctr *ct = &ctrs.v[i];
      const char *id = ct->id, *state = ct->state, *image_id = ct->image_id, *name = ct->name;
      const char *project = ct->project;
      if (id && owned (ct->owner, project, owner)
          && (devenv_ctr_in_state (ct, "exited") || devenv_ctr_in_state (ct, "dead")))
        {
          sbx_error *e = NULL;
          if (!dry_run && engine_container_remove (c, id, false, &e) < 0)
            {
              add_error (rep, e, name ? name : id);
              if (image_id)
                strv_append (&used, image_id);
              continue;
            }
          add_item (rep, "container", id, name, project, state);
          continue;
        }
      if (image_id)
        strv_append (&used, image_id);
    }

  size_t n = json_array_size (imgs);
  _cleanup_free_ image_ref *refs = xcalloc (n + 1, sizeof *refs);
  size_t k = 0;
  json_t *im;
  json_array_foreach (imgs, i, im)
    {
      const char *project = devenv_image_label (im, DEVENV_LABEL_PROJECT);
      if (!project || !owned (devenv_image_label (im, DEVENV_LABEL_OWNER), project, owner))
        continue;
      refs[k++] = (image_ref) { .img = im, .project = project, .created = created_ns (c, im) };
    }
  qsort (refs, k, sizeof *refs, by_project_newest);
  for (size_t j = 0; j < k; j++)
    {
      const char *id = json_string_value (json_object_get (refs[j].img, "Id"));
      bool newest = j == 0 || strcmp (refs[j].project, refs[j - 1].project) != 0;
      if (!id || newest || in_list (used, id))
        {
          rep->kept_images++;
          continue;
        }
      _cleanup_free_ char *tags = tags_of (refs[j].img);
      sbx_error *e = NULL;
      if (!dry_run && remove_image (c, refs[j].img, &e) < 0)
        {
          add_error (rep, e, *tags ? tags : id);
          rep->kept_images++;
          continue;
        }
      add_item (rep, "image", id, *tags ? tags : "<untagged>", refs[j].project,
                "unused and not the project's newest");
    }
  return gc_volumes (c, dry_run, owner, rep, err);
}
