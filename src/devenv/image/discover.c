/* discover.c: which Dockerfile builds the project, with which context, args
   and target (devenv_discover in image.h). */
#include "devenv/image/image.h"
#include "devenv/image/dirs.h"
#include "devenv/image/jsonc.h"
#include "devenv/image/readfile.h"
#include "util.h"

#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CONFIG_MAX (4 * 1024 * 1024)

const char *
devenv_origin_name (devenv_origin o)
{
  switch (o)
    {
    case DEVENV_ORIGIN_FLAG:
      return "--file";
    case DEVENV_ORIGIN_SBX:
      return ".sbx/Dockerfile";
    case DEVENV_ORIGIN_DEVCONTAINER:
      return "devcontainer.json";
    case DEVENV_ORIGIN_ROOT:
      return "project Dockerfile";
    case DEVENV_ORIGIN_DEFAULT:
      return "sbx default";
    }
  return "?";
}

void
devenv_source_clear (devenv_source *s)
{
  free (s->dockerfile);
  free (s->context);
  free (s->display);
  strv_free (s->args);
  free (s->target);
  free (s->config);
  free (s->flavour);
  free (s->dockerfile_text);
  strv_free (s->cache_from);
  devenv_devcontainer_free (s->dc);
  memset (s, 0, sizeof *s);
}

static bool
exists (const char *dir, const char *rel)
{
  _cleanup_free_ char *p = xasprintf ("%s/%s", dir, rel);
  struct stat st;
  return stat (p, &st) == 0;
}

const char *
devenv_default_flavour (const char *dir)
{
  static const struct
  {
    const char *file, *flavour;
  } markers[] = { { "Cargo.toml", "rust" },       { "go.mod", "go" },
                  { "package.json", "node" },     { "pyproject.toml", "python" },
                  { "setup.py", "python" },       { "requirements.txt", "python" },
                  { "Pipfile", "python" },        { "CMakeLists.txt", "c" },
                  { "meson.build", "c" },         { "configure.ac", "c" },
                  { "Makefile", "c" } };
  for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
    if (exists (dir, markers[i].file))
      return markers[i].flavour;
  return "base";
}

/* a relative to base, or a copy of a when it lies elsewhere. */
static char *
display_path (const char *base, const char *a)
{
  size_t n = strlen (base);
  if (strncmp (a, base, n) == 0 && a[n] == '/')
    return xstrdup (a + n + 1);
  return xstrdup (a);
}

/* The absolute, normalised form of rel against dir (no symlink resolved:
   the file may not exist yet). */
static char *
join_abs (const char *dir, const char *rel)
{
  _cleanup_free_ char *joined = rel[0] == '/' ? xstrdup (rel) : xasprintf ("%s/%s", dir, rel);
  char real[PATH_MAX];
  if (realpath (joined, real))
    return xstrdup (real);
  return steal_pointer (&joined);
}

/* Whether path stays inside dir (a real path): lexically ("a/../.."
   leaves), then, when it exists, with every symlink resolved. */
static bool
inside_project (const char *dir, const char *path)
{
  if (strcmp (dir, "/") == 0)
    return true;
  size_t n = strlen (dir);
  /* Lexical: count the depth below dir, component by component. */
  if (strncmp (path, dir, n) != 0 || (path[n] != '\0' && path[n] != '/'))
    return false;
  long depth = 0;
  for (const char *c = path + n; *c;)
    {
      while (*c == '/')
        c++;
      size_t len = strcspn (c, "/");
      if (len == 2 && strncmp (c, "..", 2) == 0)
        depth--;
      else if (len > 0 && !(len == 1 && c[0] == '.'))
        depth++;
      if (depth < 0)
        return false;
      c += len;
    }
  char real[PATH_MAX];
  if (realpath (path, real) == NULL)
    return true; /* missing: said by the caller */
  return strncmp (real, dir, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

/* A path a project file gives for its build must stay in the project: no
   absolute path, no ".." or symlink out.  key NULL: name is the file
   itself.  Only the path is said, never what lies there. */
static int
check_inside (const char *project_dir, const char *name, const char *key, const char *given,
              const char *path, sbx_error **err)
{
  if (given && given[0] == '/')
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s: \"%s\" is the absolute path %s; sbx builds only from inside the "
                     "project: give a path relative to the file",
                     name, key, given);
  if (!inside_project (project_dir, path) && key == NULL)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s is a symbolic link that leads outside the project %s; sbx reads only "
                     "files inside the project",
                     name, project_dir);
  if (!inside_project (project_dir, path))
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s: \"%s\" (%s) leads outside the project %s (through '..' or a symbolic "
                     "link); sbx builds only from inside the project",
                     name, key, given ? given : path, project_dir);
  return 0;
}

/* The "build" part of a devcontainer.json.  *used: it names a Dockerfile. */
static int
from_devcontainer (const char *project_dir, const char *config, devenv_source *out, bool *used,
                   sbx_error **err)
{
  *used = false;
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (devenv_read_file (config, "the devcontainer configuration", CONFIG_MAX, &text, &len, err) < 0)
    return -1;
  _cleanup_free_ char *name = display_path (project_dir, config);
  _cleanup_json_ json_t *j = NULL;
  if (devenv_jsonc_parse (text, len, name, &j, err) < 0)
    return -1;
  if (!json_is_object (j))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: the top level must be an object", name);
  json_t *build = json_object_get (j, "build");
  if (build && !json_is_object (build))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"build\" must be an object", name);
  json_t *df = json_object_get (build, "dockerfile");
  json_t *ctx = json_object_get (build, "context");
  if (!df)
    {
      df = json_object_get (j, "dockerFile"); /* the older top-level form */
      if (!ctx)
        ctx = json_object_get (j, "context");
    }
  if (!df)
    return 0;
  if (!json_is_string (df) || json_string_length (df) == 0)
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"build.dockerfile\" must be a non-empty string",
                     name);
  if (ctx && !json_is_string (ctx))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"build.context\" must be a string", name);
  json_t *args = json_object_get (build, "args");
  if (args && !json_is_object (args))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"build.args\" must be an object of strings",
                     name);
  json_t *target = json_object_get (build, "target");
  if (target && !json_is_string (target))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: \"build.target\" must be a string", name);

  _cleanup_free_ char *cfgdir = xstrdup (config);
  *strrchr (cfgdir, '/') = '\0';
  _cleanup_strv_ char **argv = xcalloc (1, sizeof *argv);
  const char *k;
  json_t *v;
  json_object_foreach (args, k, v)
    {
      if (!json_is_string (v))
        return sbx_fail (err, SBX_ERR_INVALID, "%s: \"build.args\".\"%s\" must be a string",
                         name, k);
      _cleanup_free_ char *kv = xasprintf ("%s=%s", k, json_string_value (v));
      strv_append (&argv, kv);
    }
  _cleanup_free_ char *df_lex = xasprintf ("%s/%s", cfgdir, json_string_value (df));
  _cleanup_free_ char *ctx_lex
      = xasprintf ("%s/%s", cfgdir, ctx ? json_string_value (ctx) : ".");
  const char *df_key = json_object_get (build, "dockerfile") ? "build.dockerfile" : "dockerFile";
  const char *ctx_key = json_object_get (build, "context") ? "build.context" : "context";
  if (check_inside (project_dir, name, df_key, json_string_value (df), df_lex, err) < 0
      || check_inside (project_dir, name, ctx_key, ctx ? json_string_value (ctx) : NULL, ctx_lex,
                       err)
             < 0)
    return -1;
  out->dockerfile = join_abs (cfgdir, json_string_value (df));
  out->context = join_abs (cfgdir, ctx ? json_string_value (ctx) : ".");
  struct stat st;
  if (stat (out->context, &st) < 0 || !S_ISDIR (st.st_mode))
    return sbx_fail (err, SBX_ERR_INVALID, "%s: the build context %s is not a directory", name,
                     out->context);
  if (stat (out->dockerfile, &st) < 0)
    return sbx_fail_errno (err, errno, "%s: build.dockerfile %s", name, out->dockerfile);
  out->args = steal_pointer (&argv);
  out->target = target && json_string_length (target) ? xstrdup (json_string_value (target)) : NULL;
  out->config = xstrdup (config);
  out->origin = DEVENV_ORIGIN_DEVCONTAINER;
  *used = true;
  return 0;
}

/* The last "USER x" of a Dockerfile, or NULL (allocated). */
static char *
last_user (const char *text)
{
  char *user = NULL;
  for (const char *l = text; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    {
      while (*l == ' ' || *l == '\t')
        l++;
      if (strncasecmp (l, "USER", 4) == 0 && (l[4] == ' ' || l[4] == '\t'))
        {
          const char *v = l + 5;
          while (*v == ' ' || *v == '\t')
            v++;
          size_t n = strcspn (v, " \t\r\n");
          if (n)
            {
              free (user);
              user = xstrndup (v, n);
            }
        }
    }
  return user;
}

/* A feature option's name as its environment variable: upper case, every
   character but letters, digits and '_' as '_' (the spec's rule). */
static char *
option_var (const char *name)
{
  char *v = xstrdup (name);
  for (char *c = v; *c; c++)
    *c = (*c >= 'a' && *c <= 'z')                                              ? (char) (*c - 32)
         : ((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_') ? *c
                                                                               : '_';
  return v;
}

static char *
shell_quote (const char *s)
{
  _cleanup_free_ char *q = xstrdup ("'");
  for (; *s; s++)
    {
      char *n = *s == '\'' ? xasprintf ("%s'\\''", q) : xasprintf ("%s%c", q, *s);
      free (q);
      q = n;
    }
  return xasprintf ("%s'", q);
}

/* The lines that install one local feature: its folder copied from the
   context, install.sh run as root with the options (the file's, else the
   defaults of devcontainer-feature.json) as environment variables. */
static int
feature_lines (devenv_devcontainer *dc, const char *context, size_t i, char **text,
               sbx_error **err)
{
  const char *dir = dc->features[i];
  size_t n = strlen (context);
  if (strncmp (dir, context, n) != 0 || dir[n] != '/')
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s: the feature %s lies outside the build context %s; move it there or "
                     "widen \"build.context\"",
                     dc->name, dir, context);
  _cleanup_free_ char *meta_path = xasprintf ("%s/devcontainer-feature.json", dir);
  _cleanup_free_ char *meta_text = NULL;
  size_t len = 0;
  _cleanup_json_ json_t *meta = NULL;
  if (devenv_read_file (meta_path, "the feature's metadata", CONFIG_MAX, &meta_text, &len, err) < 0
      || devenv_jsonc_parse (meta_text, len, meta_path, &meta, err) < 0)
    return -1;
  _cleanup_json_ json_t *opts = json_object ();
  const char *k;
  json_t *v;
  json_object_foreach (json_object_get (meta, "options"), k, v)
  {
    json_t *d = json_object_get (v, "default");
    if (d)
      json_object_set (opts, k, d);
  }
  json_object_update (opts, json_array_get (dc->feature_options, i));
  _cleanup_free_ char *env
      = xasprintf ("_REMOTE_USER=%s _CONTAINER_USER=%s", dc->remote_user ? dc->remote_user : "root",
                   dc->container_user ? dc->container_user : "root");
  json_object_foreach (opts, k, v)
  {
    _cleanup_free_ char *val = json_is_string (v)  ? xstrdup (json_string_value (v))
                               : json_is_true (v)  ? xstrdup ("true")
                               : json_is_false (v) ? xstrdup ("false")
                                                   : json_dumps (v, JSON_ENCODE_ANY | JSON_COMPACT);
    _cleanup_free_ char *var = option_var (k), *q = shell_quote (val ? val : "");
    char *e = xasprintf ("%s %s=%s", env, var, q);
    free (env);
    env = e;
  }
  /* The feature's containerEnv becomes the image's; what else its
     metadata asks of the container is named. */
  _cleanup_free_ char *envs = xstrdup ("");
  json_object_foreach (json_object_get (meta, "containerEnv"), k, v)
    if (json_is_string (v))
      {
        _cleanup_json_ json_t *q = json_string (json_string_value (v));
        _cleanup_free_ char *qs = json_dumps (q, JSON_ENCODE_ANY);
        char *e = xasprintf ("%sENV %s=%s\n", envs, k, qs);
        free (envs);
        envs = e;
      }
  json_object_foreach (meta, k, v)
    if (strcmp (k, "mounts") == 0 || strcmp (k, "privileged") == 0 || strcmp (k, "capAdd") == 0
        || strcmp (k, "securityOpt") == 0 || strcmp (k, "init") == 0
        || strcmp (k, "entrypoint") == 0 || strcmp (k, "dependsOn") == 0
        || strcmp (k, "installsAfter") == 0 || strcmp (k, "customizations") == 0
        || strncmp (k, "on", 2) == 0 || strncmp (k, "post", 4) == 0
        || strcmp (k, "updateContentCommand") == 0)
      {
        _cleanup_free_ char *w = xasprintf (
            "%s: feature %s: \"%s\" not honoured (features are installed in the order listed; "
            "what a feature asks of the container beyond containerEnv is not applied)",
            dc->name, dir + n + 1, k);
        strv_append (&dc->warnings, w);
      }
  *text = xasprintf ("COPY [\"%s\", \"/tmp/sbx-features/%zu\"]\n"
                     "RUN cd /tmp/sbx-features/%zu && env %s sh ./install.sh && rm -rf "
                     "/tmp/sbx-features/%zu\n%s",
                     dir + n + 1, i, i, env, i, envs);
  return 0;
}

/* The devcontainer.json's image as a Dockerfile, and its local features
   after what it builds: all of it keyed like any Dockerfile. */
static int
devcontainer_extras (const char *project_dir, devenv_source *out, bool image_form, sbx_error **err)
{
  devenv_devcontainer *dc = out->dc;
  _cleanup_free_ char *text = NULL;
  if (image_form)
    text = xasprintf ("# %s: \"image\"\nFROM %s\n", dc->name, dc->image);
  if (!dc->features[0])
    {
      out->dockerfile_text = steal_pointer (&text);
      return 0;
    }
  if (out->target)
    return sbx_fail (err, SBX_ERR_INVALID,
                     "%s: \"features\" with \"build.target\" is not supported by sbx; build "
                     "the target's stage last, or install the feature in the Dockerfile",
                     dc->name);
  if (!text)
    {
      size_t len = 0;
      if (devenv_read_file (out->dockerfile, "the Dockerfile", CONFIG_MAX, &text, &len, err) < 0)
        return -1;
    }
  _cleanup_free_ char *user = last_user (text);
  char *t = xasprintf ("%s%s# %s: \"features\"\nUSER root\n", text,
                       text[0] && text[strlen (text) - 1] != '\n' ? "\n" : "", dc->name);
  free (text);
  text = t;
  for (size_t i = 0; dc->features[i]; i++)
    {
      _cleanup_free_ char *lines = NULL;
      if (feature_lines (dc, out->context, i, &lines, err) < 0)
        return -1;
      t = xasprintf ("%s%s", text, lines);
      free (text);
      text = t;
    }
  if (user)
    {
      t = xasprintf ("%sUSER %s\n", text, user);
      free (text);
      text = t;
    }
  (void) project_dir;
  out->dockerfile_text = steal_pointer (&text);
  return 0;
}

int
devenv_discover (const char *project_dir, const char *file, devenv_source *out, sbx_error **err)
{
  memset (out, 0, sizeof *out);
  struct stat st;
  {
    const char *const dcs[] = { ".devcontainer/devcontainer.json", ".devcontainer.json" };
    for (size_t i = 0; i < 2; i++)
      if (exists (project_dir, dcs[i]))
        {
          _cleanup_free_ char *cfg = xasprintf ("%s/%s", project_dir, dcs[i]);
          if (check_inside (project_dir, dcs[i], NULL, NULL, cfg, err) < 0)
            return -1;
          break;
        }
    if (devenv_devcontainer_load (project_dir, &out->dc, err) < 0)
      return -1;
  }
  bool image_form = false;
  if (file)
    {
      char cwd[PATH_MAX];
      if (!getcwd (cwd, sizeof cwd))
        return sbx_fail_errno (err, errno, "cannot get the current directory");
      if (*file == '\0')
        return sbx_fail (err, SBX_ERR_INVALID, "--file needs a path");
      out->dockerfile = join_abs (cwd, file);
      if (stat (out->dockerfile, &st) < 0)
        {
          int e = errno;
          devenv_source_clear (out);
          return sbx_fail_errno (err, e, "the Dockerfile %s given with --file", file);
        }
      out->origin = DEVENV_ORIGIN_FLAG;
      out->context = xstrdup (project_dir);
    }
  else if (exists (project_dir, ".sbx/Dockerfile"))
    {
      out->origin = DEVENV_ORIGIN_SBX;
      out->dockerfile = xasprintf ("%s/.sbx/Dockerfile", project_dir);
      out->context = xstrdup (project_dir);
    }
  else
    {
      bool used = false;
      const char *const configs[] = { ".devcontainer/devcontainer.json", ".devcontainer.json" };
      for (size_t i = 0; i < 2 && !used; i++)
        if (exists (project_dir, configs[i]))
          {
            _cleanup_free_ char *cfg = xasprintf ("%s/%s", project_dir, configs[i]);
            if (check_inside (project_dir, configs[i], NULL, NULL, cfg, err) < 0)
              {
                devenv_source_clear (out);
                return -1;
              }
            if (from_devcontainer (project_dir, cfg, out, &used, err) < 0)
              {
                devenv_source_clear (out);
                return -1;
              }
          }
      /* A file that cannot build: an error, unless it names no image and
         the project has a Dockerfile (a Compose project's own). */
      const devenv_devcontainer *dc = out->dc;
      if (dc && dc->unusable
          && (used || dc->image || (dc->compose && !exists (project_dir, "Dockerfile"))))
        {
          sbx_fail (err, SBX_ERR_INVALID, "%s", dc->unusable);
          devenv_source_clear (out);
          return -1;
        }
      if (!used && out->dc && out->dc->image)
        {
          /* {"image": ...}: a Dockerfile of one FROM, in the project. */
          out->origin = DEVENV_ORIGIN_DEVCONTAINER;
          out->dockerfile = xstrdup (out->dc->path);
          out->context = xstrdup (project_dir);
          out->config = xstrdup (out->dc->path);
          used = image_form = true;
        }
      if (used)
        ;
      else if (exists (project_dir, "Dockerfile"))
        {
          out->origin = DEVENV_ORIGIN_ROOT;
          out->dockerfile = xasprintf ("%s/Dockerfile", project_dir);
          out->context = xstrdup (project_dir);
        }
      else
        {
          _cleanup_free_ char *dir = NULL;
          if (devenv_dockerfiles_dir (&dir, err) < 0)
            {
              devenv_source_clear (out);
              return -1;
            }
          out->origin = DEVENV_ORIGIN_DEFAULT;
          out->flavour = xstrdup (devenv_default_flavour (project_dir));
          out->dockerfile = xasprintf ("%s/%s/Dockerfile", dir, out->flavour);
          out->context = xstrdup (project_dir);
          if (stat (out->dockerfile, &st) < 0)
            {
              int e = errno;
              _cleanup_free_ char *df = xstrdup (out->dockerfile);
              devenv_source_clear (out);
              return sbx_fail_errno (err, e, "the default Dockerfile %s", df);
            }
        }
    }
  /* A project's Dockerfile that is a symlink out of it is not read. */
  const char *own = out->origin == DEVENV_ORIGIN_SBX    ? ".sbx/Dockerfile"
                    : out->origin == DEVENV_ORIGIN_ROOT ? "Dockerfile"
                                                        : NULL;
  if (own && check_inside (project_dir, own, NULL, NULL, out->dockerfile, err) < 0)
    {
      devenv_source_clear (out);
      return -1;
    }
  out->display = display_path (project_dir, out->dockerfile);
  if (out->dc && out->origin == DEVENV_ORIGIN_DEVCONTAINER)
    {
      out->cache_from = strv_dup (out->dc->cache_from);
      if (devcontainer_extras (project_dir, out, image_form, err) < 0)
        {
          devenv_source_clear (out);
          return -1;
        }
    }
  if (out->dc && out->dc->unusable && out->origin != DEVENV_ORIGIN_DEVCONTAINER)
    strv_append (&out->dc->warnings, out->dc->unusable);
  if (out->origin == DEVENV_ORIGIN_DEVCONTAINER)
    ;
  else if (out->dc && out->dc->features[0])
    {
      _cleanup_free_ char *w
          = xasprintf ("%s: \"features\" not installed: the image is built from %s, not from the "
                       "devcontainer.json",
                       out->dc->name, out->display);
      strv_append (&out->dc->warnings, w);
    }
  return 0;
}
