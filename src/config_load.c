/* config_load.c: reading the configuration files.

   Precedence (later wins, key by key):
     1. the defaults (sbx_config_init_default)
     2. the user file: $XDG_CONFIG_HOME/sbx/config.json (default
        ~/.config/sbx/config.json)
     3. the project file: PROJECT/.sbx/config.json
   When $SBX_CONFIG is set and not empty, it is the only file read (and it
   must exist); the user and project files are ignored.  Command-line flags
   win over all of these (the CLI applies them after loading).

   A key present in a later file replaces the earlier value, lists included
   (read_only_dirs, writable_dirs, allow_unix_sockets, pass_env are not
   concatenated), except deny_read and protected_paths, which only narrow:
   each file's entries are added to the earlier ones.

   The project file is trusted only when the user trusted its exact content
   (trust.h).  An untrusted project file cannot widen isolation compared to
   the defaults and the user file: each key that would is ignored and said in
   cfg->refused ("FILE:LINE: 'KEY' ignored (why): ...; run 'sbx trust' ...").
   Widening: enabled false; type (any backend other than the user's);
   allow_network or allow_write true where the user's is false;
   read_only_dirs, writable_dirs, allow_unix_sockets, pass_env with an entry
   the user's list lacks; isolation lower; runtime other than the user's;
   max_memory_mb / max_cpu_pct higher, or 0 (unlimited), than a user limit;
   read_only_rootfs false where the user's is true; container_hardening
   docker-default where the user's is strict.
   Everything else (narrower values, image, deny_read, protected_paths)
   applies.  A project without .sbx/config.json has nothing to trust.  Relative directories
   are taken relative to the project directory, "~/" to $HOME.

   Unknown keys, wrong types, out-of-range values and bad JSON are errors
   "FILE:LINE: what is wrong" (SBX_ERR_INVALID).  On error *cfg is left as it
   was. */
#include "config.h"
#include "trust.h"
#include "userdirs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_MAX_BYTES (1024 * 1024)

/* Line (1-based) of the first occurrence of "key" used as an object key in
   text, or 0 when not found. */
static int
key_line (const char *text, const char *key)
{
  size_t klen = strlen (key);
  for (const char *p = text; (p = strchr (p, '"')) != NULL; p++)
    {
      if (strncmp (p + 1, key, klen) == 0 && p[1 + klen] == '"')
        {
          const char *q = p + 2 + klen;
          while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
            q++;
          if (*q == ':')
            {
              int line = 1;
              for (const char *c = text; c < p; c++)
                if (*c == '\n')
                  line++;
              return line;
            }
        }
    }
  return 0;
}

typedef struct
{
  const char *file;
  const char *text;
  const char *project_dir;
} src;

static int bad (const src *s, const char *key, sbx_error **err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
static int
bad (const src *s, const char *key, sbx_error **err, const char *fmt, ...)
{
  va_list ap;
  _cleanup_free_ char *msg = NULL;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  int line = key ? key_line (s->text, key) : 0;
  return sbx_fail (err, SBX_ERR_INVALID, "%s:%d: %s", s->file, line > 0 ? line : 1,
                   msg ? msg : "invalid configuration");
}

static const char *
json_type_name (const json_t *v)
{
  switch (json_typeof (v))
    {
    case JSON_OBJECT:
      return "an object";
    case JSON_ARRAY:
      return "an array";
    case JSON_STRING:
      return "a string";
    case JSON_INTEGER:
      return "an integer";
    case JSON_REAL:
      return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
      return "a boolean";
    case JSON_NULL:
      return "null";
    }
  return "a value";
}

static char *
resolve_dir (const src *s, const char *dir)
{
  if (dir[0] == '/')
    return xstrdup (dir);
  if (dir[0] == '~' && (dir[1] == '/' || dir[1] == '\0'))
    {
      const char *home = getenv ("HOME");
      return xasprintf ("%s%s", home ? home : "", dir + 1);
    }
  if (s->project_dir)
    return xasprintf ("%s/%s", s->project_dir, dir);
  return xstrdup (dir);
}

static int
get_bool (const src *s, const char *key, json_t *v, bool *out, sbx_error **err)
{
  if (!json_is_boolean (v))
    return bad (s, key, err, "'%s' must be true or false, not %s", key, json_type_name (v));
  *out = json_is_true (v);
  return 0;
}

static int
get_string (const src *s, const char *key, json_t *v, bool nullable, char **out, sbx_error **err)
{
  if (nullable && json_is_null (v))
    {
      free (*out);
      *out = NULL;
      return 0;
    }
  if (!json_is_string (v))
    return bad (s, key, err, "'%s' must be a string%s, not %s", key, nullable ? " or null" : "",
                json_type_name (v));
  if (json_string_length (v) == 0 && !nullable)
    return bad (s, key, err, "'%s' must not be empty", key);
  free (*out);
  *out = json_string_length (v) ? xstrdup (json_string_value (v)) : NULL;
  return 0;
}

static int
get_dirs (const src *s, const char *key, json_t *v, char ***out, sbx_error **err)
{
  if (!json_is_array (v))
    return bad (s, key, err, "'%s' must be an array of directory names, not %s", key,
                json_type_name (v));
  _cleanup_strv_ char **dirs = xcalloc (1, sizeof *dirs);
  size_t i;
  json_t *item;
  json_array_foreach (v, i, item)
  {
    if (!json_is_string (item) || json_string_length (item) == 0)
      return bad (s, key, err, "'%s'[%zu] must be a non-empty string, not %s", key, i,
                  json_type_name (item));
    _cleanup_free_ char *d = resolve_dir (s, json_string_value (item));
    strv_append (&dirs, d);
  }
  strv_free (*out);
  *out = steal_pointer (&dirs);
  return 0;
}

static int
get_int (const src *s, const char *key, json_t *v, long max, long *out, sbx_error **err)
{
  if (!json_is_integer (v))
    return bad (s, key, err, "'%s' must be an integer, not %s", key, json_type_name (v));
  json_int_t n = json_integer_value (v);
  if (n < 0 || n > max)
    return bad (s, key, err, "'%s' must be between 0 and %ld (0: unlimited), not %lld", key, max,
                (long long)n);
  *out = (long)n;
  return 0;
}

static const char *const backend_types[]
    = { "auto", "none", "landlock", "nsjail", "bwrap", "seatbelt", "docker", NULL };

/* A list key whose entries are added to the earlier files' (narrowing). */
static int
add_dirs (const src *s, const char *key, json_t *v, char ***out, sbx_error **err)
{
  _cleanup_strv_ char **more = NULL;
  if (get_dirs (s, key, v, &more, err) < 0)
    return -1;
  for (char **d = more; d && *d; d++)
    strv_append (out, *d);
  if (*out == NULL)
    *out = xcalloc (1, sizeof **out);
  return 0;
}

static int
get_names (const src *s, const char *key, json_t *v, char ***out, sbx_error **err)
{
  if (!json_is_array (v))
    return bad (s, key, err, "'%s' must be an array of variable names, not %s", key,
                json_type_name (v));
  _cleanup_strv_ char **names = xcalloc (1, sizeof *names);
  size_t i;
  json_t *item;
  json_array_foreach (v, i, item)
  {
    const char *n = json_string_value (item);
    if (!n || !n[0] || strchr (n, '='))
      return bad (s, key, err, "'%s'[%zu] must be a variable name (NAME, or PREFIX*), not %s", key,
                  i, json_is_string (item) ? "a string with '='" : json_type_name (item));
    strv_append (&names, n);
  }
  strv_free (*out);
  *out = steal_pointer (&names);
  return 0;
}

static void
set_from (char **from, const src *s)
{
  free (*from);
  *from = xstrdup (s->file);
}

#define KNOWN_KEYS                                                                                 \
  "enabled, type, allow_network, allow_write, read_only_dirs, writable_dirs, max_memory_mb, "      \
  "max_cpu_pct, isolation, runtime, image, deny_read, protected_paths, allow_unix_sockets, "       \
  "pass_env, read_only_rootfs, container_hardening"

/* Apply one key of a file to cfg. */
static int
apply_key (sbx_config *cfg, const src *s, const char *key, json_t *v, sbx_error **err)
{
  int r;
  if (strcmp (key, "enabled") == 0)
    {
      r = get_bool (s, key, v, &cfg->enabled, err);
      set_from (&cfg->enabled_from, s);
    }
  else if (strcmp (key, "allow_network") == 0)
    r = get_bool (s, key, v, &cfg->allow_network, err);
  else if (strcmp (key, "allow_write") == 0)
    r = get_bool (s, key, v, &cfg->allow_write, err);
  else if (strcmp (key, "type") == 0)
    {
      r = get_string (s, key, v, true, &cfg->type, err);
      if (r == 0 && cfg->type)
        {
          bool known = false;
          for (const char *const *t = backend_types; *t; t++)
            known = known || strcmp (*t, cfg->type) == 0;
          if (!known)
            r = bad (s, key, err,
                     "'type' is '%s'; use auto, none, landlock, nsjail, bwrap, seatbelt or "
                     "docker",
                     cfg->type);
        }
      set_from (&cfg->type_from, s);
    }
  else if (strcmp (key, "read_only_dirs") == 0)
    r = get_dirs (s, key, v, &cfg->read_only_dirs, err);
  else if (strcmp (key, "writable_dirs") == 0)
    r = get_dirs (s, key, v, &cfg->writable_dirs, err);
  else if (strcmp (key, "allow_unix_sockets") == 0)
    r = get_dirs (s, key, v, &cfg->allow_unix_sockets, err);
  else if (strcmp (key, "deny_read") == 0)
    r = add_dirs (s, key, v, &cfg->deny_read, err);
  else if (strcmp (key, "protected_paths") == 0)
    r = add_dirs (s, key, v, &cfg->protected_paths, err);
  else if (strcmp (key, "pass_env") == 0)
    r = get_names (s, key, v, &cfg->pass_env, err);
  else if (strcmp (key, "max_memory_mb") == 0)
    r = get_int (s, key, v, LONG_MAX / (1024 * 1024), &cfg->max_memory_mb, err);
  else if (strcmp (key, "max_cpu_pct") == 0)
    {
      long pct = 0;
      r = get_int (s, key, v, 100 * 4096, &pct, err);
      if (r == 0)
        cfg->max_cpu_pct = (int)pct;
    }
  else if (strcmp (key, "isolation") == 0)
    {
      if (!json_is_string (v))
        r = bad (s, key, err, "'isolation' must be a string, not %s", json_type_name (v));
      else
        {
          sbx_level level;
          _cleanup_error_ sbx_error *lerr = NULL;
          r = sbx_level_parse (json_string_value (v), &level, &lerr);
          if (r < 0)
            r = bad (s, key, err, "%s", lerr->msg);
          else
            cfg->isolation = level;
        }
      set_from (&cfg->isolation_from, s);
    }
  else if (strcmp (key, "runtime") == 0)
    {
      r = get_string (s, key, v, false, &cfg->runtime, err);
      set_from (&cfg->runtime_from, s);
    }
  else if (strcmp (key, "image") == 0)
    r = get_string (s, key, v, true, &cfg->image, err);
  else if (strcmp (key, "read_only_rootfs") == 0)
    r = get_bool (s, key, v, &cfg->read_only_rootfs, err);
  else if (strcmp (key, "container_hardening") == 0)
    {
      if (!json_is_string (v))
        r = bad (s, key, err, "'container_hardening' must be a string, not %s", json_type_name (v));
      else
        {
          _cleanup_error_ sbx_error *herr = NULL;
          r = sbx_hardening_parse (json_string_value (v), &cfg->hardening, &herr);
          if (r < 0)
            r = bad (s, key, err, "%s", herr->msg);
        }
    }
  else
    r = bad (s, key, err, "unknown key '%s'; known keys: " KNOWN_KEYS, key);
  return r < 0 ? -1 : 0;
}

static bool
same_str (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

/* Every entry of a is in b. */
static bool
subset (char *const *a, char *const *b)
{
  for (; a && *a; a++)
    {
      bool in = false;
      for (char *const *x = b; x && *x && !in; x++)
        in = strcmp (*a, *x) == 0;
      if (!in)
        return false;
    }
  return true;
}

/* A limit where 0 is unlimited: whether value is looser than base. */
static bool
looser_limit (long value, long base)
{
  return base != 0 && (value == 0 || value > base);
}

/* Why setting key to what cfg now holds widens isolation compared to base,
   or NULL when it does not. */
static const char *
widens (const char *key, const sbx_config *cfg, const sbx_config *base)
{
  if (strcmp (key, "enabled") == 0)
    return !cfg->enabled && base->enabled ? "it would turn isolation off" : NULL;
  if (strcmp (key, "type") == 0)
    {
      const char *a = cfg->type && strcmp (cfg->type, "auto") ? cfg->type : NULL;
      const char *b = base->type && strcmp (base->type, "auto") ? base->type : NULL;
      return same_str (a, b) ? NULL : "only you choose the backend";
    }
  if (strcmp (key, "allow_network") == 0)
    return cfg->allow_network && !base->allow_network ? "it would allow the network" : NULL;
  if (strcmp (key, "allow_write") == 0)
    return cfg->allow_write && !base->allow_write ? "it would make the project writable" : NULL;
  if (strcmp (key, "read_only_dirs") == 0)
    return subset (cfg->read_only_dirs, base->read_only_dirs) ? NULL
                                                              : "it would make more readable";
  if (strcmp (key, "writable_dirs") == 0)
    return subset (cfg->writable_dirs, base->writable_dirs) ? NULL : "it would make more writable";
  if (strcmp (key, "allow_unix_sockets") == 0)
    return subset (cfg->allow_unix_sockets, base->allow_unix_sockets)
               ? NULL
               : "it would open Unix sockets to the command";
  if (strcmp (key, "pass_env") == 0)
    return subset (cfg->pass_env, base->pass_env) ? NULL : "it would pass secrets to the command";
  if (strcmp (key, "isolation") == 0)
    return cfg->isolation < base->isolation ? "it would lower the isolation level" : NULL;
  if (strcmp (key, "runtime") == 0)
    return same_str (cfg->runtime, base->runtime) ? NULL : "only you choose the runtime";
  if (strcmp (key, "max_memory_mb") == 0)
    return looser_limit (cfg->max_memory_mb, base->max_memory_mb) ? "it would raise the limit"
                                                                  : NULL;
  if (strcmp (key, "max_cpu_pct") == 0)
    return looser_limit (cfg->max_cpu_pct, base->max_cpu_pct) ? "it would raise the limit" : NULL;
  if (strcmp (key, "read_only_rootfs") == 0)
    return !cfg->read_only_rootfs && base->read_only_rootfs
               ? "it would make the container's root filesystem writable"
               : NULL;
  if (strcmp (key, "container_hardening") == 0)
    return cfg->hardening > base->hardening
               ? "it would give the container Docker's default capabilities without "
                 "no-new-privileges"
               : NULL;
  return NULL; /* image, deny_read, protected_paths: never wider */
}

static void config_copy (sbx_config *dst, const sbx_config *src_cfg);

/* Apply the keys of a file.  base NULL: the file is trusted; else each key
   that would widen isolation compared to base is left out and said in
   cfg->refused. */
static int
apply_object (sbx_config *cfg, const src *s, json_t *root, const sbx_config *base, sbx_error **err)
{
  if (!json_is_object (root))
    return bad (s, NULL, err, "the configuration must be a JSON object, not %s",
                json_type_name (root));
  const char *key;
  json_t *v;
  json_object_foreach (root, key, v)
  {
    if (base == NULL)
      {
        if (apply_key (cfg, s, key, v, err) < 0)
          return -1;
        continue;
      }
    sbx_config tmp;
    config_copy (&tmp, cfg);
    if (apply_key (&tmp, s, key, v, err) < 0)
      {
        sbx_config_clear (&tmp);
        return -1;
      }
    const char *why = widens (key, &tmp, base);
    if (why == NULL)
      {
        strv_free (tmp.refused);
        tmp.refused = steal_pointer (&cfg->refused);
        sbx_config_clear (cfg);
        *cfg = tmp;
        continue;
      }
    sbx_config_clear (&tmp);
    int line = key_line (s->text, key);
    _cleanup_free_ char *msg
        = xasprintf ("%s:%d: '%s' ignored (%s): this file is not trusted; run 'sbx trust' "
                     "to trust it as it is now",
                     s->file, line > 0 ? line : 1, key, why);
    strv_append (&cfg->refused, msg);
  }
  return 0;
}

/* Read path into *text.  missing_ok: a missing file gives 0 and *text NULL. */
static int
read_text (const char *path, bool missing_ok, char **text, sbx_error **err)
{
  *text = NULL;
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (missing_ok && (errno == ENOENT || errno == ENOTDIR))
        return 0;
      return sbx_fail (err, SBX_ERR_INVALID, "cannot read the configuration %s: %s", path,
                       strerror (errno));
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sbx_fail_errno (err, errno, "stat %s", path);
  if (!S_ISREG (st.st_mode))
    return sbx_fail (err, SBX_ERR_INVALID, "%s:1: the configuration must be a regular file", path);
  if (st.st_size > CONFIG_MAX_BYTES)
    return sbx_fail (err, SBX_ERR_INVALID, "%s:1: the configuration is larger than %d bytes", path,
                     CONFIG_MAX_BYTES);
  size_t cap = (size_t)st.st_size + 1, len = 0;
  _cleanup_free_ char *buf = xmalloc (cap);
  for (;;)
    {
      if (len + 1 >= cap)
        {
          if (cap > CONFIG_MAX_BYTES)
            return sbx_fail (err, SBX_ERR_INVALID, "%s:1: the configuration is too large", path);
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      ssize_t n = read (fd, buf + len, cap - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return sbx_fail_errno (err, errno, "reading %s", path);
      if (n == 0)
        break;
      len += (size_t)n;
    }
  buf[len] = '\0';
  *text = steal_pointer (&buf);
  return 0;
}

/* project_file: the file is the project's own, trusted only when its
   content is (trust.h). */
static int
load_file (sbx_config *cfg, const char *path, bool missing_ok, const char *project_dir,
           bool project_file, sbx_error **err)
{
  _cleanup_free_ char *text = NULL;
  if (project_file && project_dir)
    {
      /* A project file that is a symlink out of the project is not read
         (its bytes could appear in a parse error). */
      char real[PATH_MAX];
      size_t n = strlen (project_dir);
      if (realpath (path, real) && strcmp (project_dir, "/") != 0
          && (strncmp (real, project_dir, n) != 0 || (real[n] != '/' && real[n] != '\0')))
        return sbx_fail (err, SBX_ERR_INVALID,
                         "%s is a symbolic link that leads outside the project %s; sbx reads "
                         "only files inside the project",
                         path, project_dir);
    }
  if (read_text (path, missing_ok, &text, err) < 0)
    return -1;
  if (text == NULL)
    return 0;
  json_error_t jerr;
  _cleanup_json_ json_t *root = json_loads (text, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    return sbx_fail (err, SBX_ERR_INVALID, "%s:%d: invalid JSON: %s", path,
                     jerr.line > 0 ? jerr.line : 1, jerr.text);
  src s = { .file = path, .text = text, .project_dir = project_dir };
  sbx_config base;
  bool untrusted = project_file && !sbx_trust_check (path, text, strlen (text));
  if (untrusted)
    config_copy (&base, cfg);
  int r = apply_object (cfg, &s, root, untrusted ? &base : NULL, err);
  if (untrusted)
    sbx_config_clear (&base);
  if (r < 0)
    return -1;
  if (cfg->source)
    {
      char *both = xasprintf ("%s, %s", cfg->source, path);
      free (cfg->source);
      cfg->source = both;
    }
  else
    cfg->source = xstrdup (path);
  return 0;
}

static void
config_copy (sbx_config *dst, const sbx_config *src_cfg)
{
  *dst = *src_cfg;
  dst->type = src_cfg->type ? xstrdup (src_cfg->type) : NULL;
  dst->read_only_dirs = src_cfg->read_only_dirs ? strv_dup (src_cfg->read_only_dirs) : NULL;
  dst->writable_dirs = src_cfg->writable_dirs ? strv_dup (src_cfg->writable_dirs) : NULL;
  dst->runtime = src_cfg->runtime ? xstrdup (src_cfg->runtime) : NULL;
  dst->image = src_cfg->image ? xstrdup (src_cfg->image) : NULL;
  dst->source = src_cfg->source ? xstrdup (src_cfg->source) : NULL;
  char ***lists[] = { &dst->deny_read, &dst->protected_paths, &dst->allow_unix_sockets,
                      &dst->pass_env, &dst->refused };
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
    if (*lists[i])
      *lists[i] = strv_dup (*lists[i]);
  char **strs[] = { &dst->enabled_from, &dst->type_from, &dst->isolation_from, &dst->runtime_from };
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    if (*strs[i])
      *strs[i] = xstrdup (*strs[i]);
}

int
sbx_config_load (sbx_config *cfg, const char *project_dir, sbx_error **err)
{
  sbx_config work;
  config_copy (&work, cfg);
  int r = 0;
  const char *explicit_file = getenv ("SBX_CONFIG");
  if (explicit_file && explicit_file[0])
    r = load_file (&work, explicit_file, false, project_dir, false, err);
  else
    {
      _cleanup_free_ char *dir = sbx_user_config_dir ();
      _cleanup_free_ char *user_file = dir ? xasprintf ("%s/config.json", dir) : NULL;
      if (user_file)
        r = load_file (&work, user_file, true, project_dir, false, err);
      if (r == 0 && project_dir)
        {
          _cleanup_free_ char *project_file = xasprintf ("%s/.sbx/config.json", project_dir);
          r = load_file (&work, project_file, true, project_dir, true, err);
        }
    }
  if (r < 0)
    {
      sbx_config_clear (&work);
      return -1;
    }
  sbx_config_clear (cfg);
  *cfg = work;
  return 0;
}
