/* user.c: who the commands are in the project container.  They run as the
   caller's uid/gid (host files stay the caller's), under a name: the one
   asked (spec->user_name, else devcontainer.json remoteUser or
   containerUser: spec->rt->user_name), else the image's USER when it names a
   user other than root, renumbered to the caller's uid/gid, else the
   caller's login name.  The user gets a passwd and a group entry and a
   HOME that persists (swaps, down/up, reboots) without rebuilding the
   image:
     - sbx writes the image's /etc/passwd and /etc/group with the user's
       entries into host files, bound read-only on /etc/passwd and
       /etc/group.  Nothing in the container can change them (a read-only
       bind and no CAP_SYS_ADMIN to unmount it; they are outside every
       writable mount), and a read-only root filesystem (read_only_rootfs)
       needs no change.
       The image's own files are read once per image through a created,
       never started, container (GET .../archive), and kept by image id.
     - the home is a labelled local volume bound to a host directory that
       sbx creates as the caller (so it is the caller's, whatever the image
       holds at that path), mounted without copying the image's content.
   All of it needs a local engine (the files are this machine's): with a
   remote one the user has no entry and HOME stays /tmp. */
#include "devenv/container/container.h"
#include "sha256.h"
#include "userdirs.h"
#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>

void
devenv_user_clear (devenv_user *u)
{
  free (u->name);
  free (u->home);
  free (u->shell);
  free (u->passwd);
  free (u->group);
  free (u->volume);
  memset (u, 0, sizeof *u);
}

char *
devenv_home_volume_name (const sbx_project *p)
{
  return xasprintf (DEVENV_HOME_VOLUME_FMT, p->basename, p->id);
}

char *
devenv_volume_name (const sbx_project *p, const char *name)
{
  return xasprintf (DEVENV_VOLUME_FMT, p->basename, p->id, name);
}

int
devenv_project_data_dir (const char *project_id, char **out, sbx_error **err)
{
  *out = NULL;
  (void) err;
  _cleanup_free_ char *base = sbx_user_data_dir ();
  if (!base)
    return 0;
  *out = xasprintf ("%s/projects/%s", base, project_id);
  return 0;
}

/* mkdir -p, 0700 for what it makes; the last one must be a directory of
   the caller's. */
static int
make_dirs (const char *path, sbx_error **err)
{
  _cleanup_free_ char *p = xstrdup (path);
  for (char *s = p + 1;; s++)
    {
      s = strchr (s, '/');
      if (s)
        *s = '\0';
      if (mkdir (p, 0700) < 0 && errno != EEXIST)
        return sbx_fail_errno (err, errno, "creating %s", p);
      if (!s)
        break;
      *s = '/';
    }
  struct stat st;
  if (lstat (path, &st) < 0)
    return sbx_fail_errno (err, errno, "%s", path);
  if (!S_ISDIR (st.st_mode) || st.st_uid != getuid ())
    return sbx_fail (err, SBX_ERR_IO, "%s is not a directory of yours; remove it", path);
  return 0;
}

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  return (flag == FTW_DP ? rmdir (path) : unlink (path)) < 0 && errno != ENOENT ? -1 : 0;
}

int
devenv_home_remove (engine_client *c, const sbx_project *p, bool *removed, sbx_error **err)
{
  _cleanup_free_ char *name = devenv_home_volume_name (p);
  /* The project's other volumes first: the host directories behind them
     are in the project's files, removed with the home's. */
  _cleanup_free_ char *label = xasprintf ("%s=%s", DEVENV_LABEL_PROJECT, p->dir);
  _cleanup_free_ char *f = engine_label_filter (label);
  _cleanup_free_ char *path = xasprintf ("/volumes?filters=%s", f);
  _cleanup_json_ json_t *list = NULL;
  if (engine_get_json (c, path, &list, err) < 0)
    return sbx_error_prefix (err, "listing the volumes of %s", p->dir);
  _cleanup_free_ char *owner = xasprintf ("%u", (unsigned) getuid ());
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (list, "Volumes"), i, v)
  {
    const char *vname = json_string_value (json_object_get (v, "Name"));
    const char *own
        = json_string_value (json_object_get (json_object_get (v, "Labels"), DEVENV_LABEL_OWNER));
    if (!vname || strcmp (vname, name) == 0 || !own || strcmp (own, owner) != 0)
      continue;
    _cleanup_free_ char *vpath = xasprintf ("/volumes/%s", vname);
    sbx_error *e = NULL;
    if (engine_delete (c, vpath, &e) < 0)
      {
        if (e->code != SBX_ERR_NOT_FOUND)
          {
            *err = e;
            return sbx_error_prefix (err, "removing the volume %s", vname);
          }
        sbx_error_free (e);
      }
  }
  return devenv_home_remove_named (c, name, p->id, removed, err);
}

int
devenv_home_remove_named (engine_client *c, const char *name, const char *project_id, bool *removed,
                          sbx_error **err)
{
  if (removed)
    *removed = false;
  _cleanup_free_ char *path = xasprintf ("/volumes/%s", name);
  sbx_error *e = NULL;
  if (engine_delete (c, path, &e) < 0)
    {
      if (e->code != SBX_ERR_NOT_FOUND)
        {
          *err = e;
          return sbx_error_prefix (err, "removing the home volume %s", name);
        }
      sbx_error_free (e);
    }
  else if (removed)
    *removed = true;
  /* The host directory behind it and the user files: what the container
     wrote there is removed without following its symlinks. */
  _cleanup_free_ char *data = NULL;
  if (devenv_project_data_dir (project_id, &data, err) < 0)
    return -1;
  struct stat st;
  if (data && lstat (data, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == getuid ()
      && nftw (data, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
    return sbx_fail_errno (err, errno, "removing %s", data);
  return 0;
}

/* ---- the image's passwd and group ---- */

typedef struct buf
{
  char *data;
  size_t len;
} buf;

#define TAR_MAX (1 << 20)

static int
collect (const char *data, size_t len, void *ud, sbx_error **err)
{
  buf *b = ud;
  if (b->len + len > TAR_MAX)
    return sbx_fail (err, SBX_ERR_IO, "the image's file is larger than %d bytes", TAR_MAX);
  b->data = xrealloc (b->data, b->len + len + 1);
  memcpy (b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

/* The first regular file of a tar stream (allocated), or "" when it has
   none (a symlink, say). */
static char *
tar_first_file (const buf *b)
{
  size_t off = 0;
  while (b->data && off + 512 <= b->len)
    {
      const char *h = b->data + off;
      if (h[0] == '\0')
        break;
      char sz[13];
      memcpy (sz, h + 124, 12);
      sz[12] = '\0';
      unsigned long long size = strtoull (sz, NULL, 8);
      char type = h[156];
      if (off + 512 + size > b->len)
        break;
      if (type == '0' || type == '\0')
        return xstrndup (h + 512, (size_t) size);
      off += 512 + (size + 511) / 512 * 512;
    }
  return xstrdup ("");
}

static int
read_image_file (engine_client *c, const char *cid, const char *file, char **out, sbx_error **err)
{
  _cleanup_free_ char *q = engine_urlencode (file);
  _cleanup_free_ char *path = xasprintf ("/containers/%s/archive?path=%s", cid, q);
  buf b = { 0 };
  engine_request req = { .method = "GET", .path = path, .on_data = collect, .ud = &b };
  sbx_error *e = NULL;
  if (engine_call (c, &req, NULL, NULL, &e) < 0)
    {
      free (b.data);
      if (e->code == SBX_ERR_NOT_FOUND)
        {
          sbx_error_free (e);
          *out = xstrdup ("");
          return 0;
        }
      *err = e;
      return sbx_error_prefix (err, "reading %s of the image", file);
    }
  *out = tar_first_file (&b);
  free (b.data);
  return 0;
}

/* A file of ours (allocated, NUL-terminated), or NULL. */
static char *
read_small (const char *path)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return NULL;
  buf b = { .data = xstrdup (""), .len = 0 };
  char chunk[8192];
  ssize_t n;
  while ((n = read (fd, chunk, sizeof chunk)) > 0)
    if (collect (chunk, (size_t) n, &b, NULL) < 0)
      break;
  if (n != 0)
    {
      free (b.data);
      return NULL;
    }
  return b.data;
}

static int
write_file_atomic (const char *path, const char *text, sbx_error **err)
{
  _cleanup_free_ char *tmp = xasprintf ("%s.%d.tmp", path, (int) getpid ());
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return sbx_fail_errno (err, errno, "creating %s", tmp);
  if (write_all (fd, text, strlen (text)) < 0 || fchmod (fd, 0644) < 0)
    {
      int e = errno;
      close (fd);
      unlink (tmp);
      return sbx_fail_errno (err, e, "writing %s", tmp);
    }
  close (fd);
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return sbx_fail_errno (err, e, "renaming %s", tmp);
    }
  return 0;
}

/* The image's passwd and group, kept in etc/ by image id: read through a
   container created (never started) from it and removed at once. */
static int
image_files (engine_client *c, const char *etc, const char *image_id, char **passwd, char **group,
             sbx_error **err)
{
  const char *hex = strncmp (image_id, "sha256:", 7) == 0 ? image_id + 7 : image_id;
  _cleanup_free_ char *pp = xasprintf ("%s/image-%.16s.passwd", etc, hex);
  _cleanup_free_ char *gp = xasprintf ("%s/image-%.16s.group", etc, hex);
  *passwd = read_small (pp);
  *group = *passwd ? read_small (gp) : NULL;
  if (*passwd && *group)
    return 0;
  free (*passwd);
  *passwd = NULL;
  _cleanup_json_ json_t *cfg
      = json_pack ("{s:s,s:[s],s:[],s:b,s:{s:s}}", "Image", image_id, "Entrypoint", "/nonexistent",
                   "Cmd", "NetworkDisabled", 1, "HostConfig", "NetworkMode", "none");
  char rnd[13];
  sbx_random_hex (rnd, 6);
  _cleanup_free_ char *name = xasprintf ("sbx-users-%s", rnd);
  _cleanup_free_ char *cid = NULL;
  if (engine_container_create (c, name, cfg, &cid, err) < 0)
    {
      /* The engine may have made it and lost the answer: its name is ours. */
      engine_container_remove (c, name, true, NULL);
      return sbx_error_prefix (err, "reading the users of image %.19s", image_id);
    }
  int r = read_image_file (c, cid, "/etc/passwd", passwd, err);
  if (r == 0)
    r = read_image_file (c, cid, "/etc/group", group, err);
  engine_container_remove (c, cid, true, NULL);
  if (r < 0)
    {
      free (*passwd);
      *passwd = NULL;
      return -1;
    }
  if (write_file_atomic (pp, *passwd, err) < 0 || write_file_atomic (gp, *group, err) < 0)
    return -1;
  return 0;
}

/* ---- the entries ---- */

/* Field i (0-based) of a colon-separated line, as a new string. */
static char *
field (const char *line, size_t len, int i)
{
  const char *s = line, *end = line + len;
  for (; i > 0 && s < end; i--)
    {
      const char *c = memchr (s, ':', (size_t) (end - s));
      if (!c)
        return xstrdup ("");
      s = c + 1;
    }
  const char *c = memchr (s, ':', (size_t) (end - s));
  return xstrndup (s, (size_t) ((c ? c : end) - s));
}

/* A name fit for a passwd entry and a shell prompt. */
static bool
valid_name (const char *s)
{
  if (!s || !*s || strlen (s) > 32 || *s == '-' || strcmp (s, "root") == 0)
    return false;
  for (; *s; s++)
    if (!isalnum ((unsigned char) *s) && *s != '_' && *s != '-' && *s != '.')
      return false;
  return true;
}

typedef void (*line_fn) (const char *line, size_t len, void *ud);

static void
each_line (const char *text, line_fn fn, void *ud)
{
  while (text && *text)
    {
      const char *nl = strchr (text, '\n');
      size_t n = nl ? (size_t) (nl - text) : strlen (text);
      if (n)
        fn (text, n, ud);
      text += n + (nl ? 1 : 0);
    }
}

/* The passwd line of the user named name, or of uid (name NULL). */
typedef struct lookup
{
  const char *name;
  long uid;
  char *found; /* the whole line */
} lookup;

static void
lookup_line (const char *line, size_t len, void *ud)
{
  lookup *l = ud;
  if (l->found)
    return;
  _cleanup_free_ char *n = field (line, len, 0), *u = field (line, len, 2);
  if (l->name ? strcmp (n, l->name) == 0 : (*u && strtol (u, NULL, 10) == l->uid))
    l->found = xstrndup (line, len);
}

static char *
find_entry (const char *passwd, const char *name, long uid)
{
  lookup l = { .name = name, .uid = uid };
  each_line (passwd, lookup_line, &l);
  return l.found;
}

/* The name the user takes. */
static char *
choose_name (const devenv_spec *s, const char *image_user, const char *passwd)
{
  if (s->uid == 0)
    return xstrdup ("root");
  const char *asked = s->user_name ? s->user_name : s->rt ? s->rt->user_name : NULL;
  if (valid_name (asked))
    return xstrdup (asked);
  if (image_user && *image_user)
    {
      _cleanup_free_ char *u = xstrndup (image_user, strcspn (image_user, ":"));
      char *end;
      long n = strtol (u, &end, 10);
      if (*u && *end == '\0')
        {
          _cleanup_free_ char *line = n > 0 ? find_entry (passwd, NULL, n) : NULL;
          _cleanup_free_ char *nm = line ? field (line, strlen (line), 0) : NULL;
          if (valid_name (nm))
            return steal_pointer (&nm);
        }
      else if (valid_name (u))
        return steal_pointer (&u);
    }
  struct passwd *pw = getpwuid (s->uid);
  if (pw && valid_name (pw->pw_name))
    return xstrdup (pw->pw_name);
  const char *env = getenv ("USER");
  if (valid_name (env))
    return xstrdup (env);
  return xstrdup ("user");
}

/* A home the volume can be mounted on: absolute, not a system directory,
   not the project, nor /tmp. */
static bool
usable_home (const char *h, const char *project)
{
  if (!h || h[0] != '/' || strlen (h) < 2 || strchr (h, ':') || strstr (h, "/."))
    return false;
  static const char *const bad[]
      = { "/nonexistent", "/bin", "/sbin", "/usr", "/etc", "/dev", "/proc",
          "/sys",         "/tmp", "/var",  "/lib", "/run", NULL };
  for (const char *const *b = bad; *b; b++)
    {
      size_t n = strlen (*b);
      if (strncmp (h, *b, n) == 0 && (h[n] == '\0' || h[n] == '/'))
        return false;
    }
  size_t n = strlen (project);
  return strncmp (h, project, n) != 0 || (h[n] != '\0' && h[n] != '/');
}

typedef struct rewrite
{
  const devenv_user *u;
  uid_t uid;
  gid_t gid;
  char *out;
  bool have_gid, renamed_group;
} rewrite;

static void
append (char **out, const char *line, size_t len)
{
  char *n = xasprintf ("%s%.*s\n", *out, (int) len, line);
  free (*out);
  *out = n;
}

/* passwd: every line but the user's and those of other users with its uid;
   the user's own line after root's. */
static void
passwd_line (const char *line, size_t len, void *ud)
{
  rewrite *r = ud;
  _cleanup_free_ char *n = field (line, len, 0), *u = field (line, len, 2);
  bool same_uid = *u && strtol (u, NULL, 10) == (long) r->uid;
  if (strcmp (n, r->u->name) == 0 || (same_uid && r->uid != 0))
    return;
  append (&r->out, line, len);
}

static void
group_scan (const char *line, size_t len, void *ud)
{
  rewrite *r = ud;
  _cleanup_free_ char *g = field (line, len, 2);
  if (*g && strtol (g, NULL, 10) == (long) r->gid)
    r->have_gid = true;
}

/* group: the group named like the user takes its gid when no group has
   that gid yet. */
static void
group_line (const char *line, size_t len, void *ud)
{
  rewrite *r = ud;
  _cleanup_free_ char *n = field (line, len, 0);
  if (!r->have_gid && strcmp (n, r->u->name) == 0)
    {
      _cleanup_free_ char *pw = field (line, len, 1), *members = field (line, len, 3);
      char *l = xasprintf ("%s%s:%s:%u:%s\n", r->out, n, pw, (unsigned) r->gid, members);
      free (r->out);
      r->out = l;
      r->renamed_group = true;
      return;
    }
  append (&r->out, line, len);
}

/* The project's volume name (labelled as the project's, so that `sbx down
   --volumes` and `sbx gc` remove it), bound to the host directory dir when
   not NULL (made by the caller: the volume is the caller's); an existing
   one must be the project's. */
static int
project_volume (engine_client *c, const sbx_project *p, const char *name, const char *dir,
                sbx_error **err)
{
  _cleanup_free_ char *vpath = xasprintf ("/volumes/%s", name);
  _cleanup_json_ json_t *vol = NULL;
  sbx_error *e = NULL;
  if (engine_get_json (c, vpath, &vol, &e) == 0)
    {
      const char *proj = json_string_value (
          json_object_get (json_object_get (vol, "Labels"), DEVENV_LABEL_PROJECT));
      if (!proj || strcmp (proj, p->dir) != 0)
        return sbx_fail (err, SBX_ERR_CONFLICT,
                         "a volume named %s exists but is not the project's; remove or rename it",
                         name);
      return 0;
    }
  if (e->code != SBX_ERR_NOT_FOUND)
    {
      *err = e;
      return -1;
    }
  sbx_error_free (e);
  _cleanup_free_ char *owner = xasprintf ("%u", (unsigned) getuid ());
  _cleanup_json_ json_t *body = json_pack ("{s:s,s:s,s:{s:s,s:s,s:s}}", "Name", name, "Driver",
                                           "local", "Labels", DEVENV_LABEL_MANAGED, "true",
                                           DEVENV_LABEL_PROJECT, p->dir, DEVENV_LABEL_OWNER, owner);
  /* uid and gid: podman chowns a new volume to the owner of the image's
     directory at its target unless they are given; Docker's bind ignores
     them.  The directory stays the caller's (make_dirs checks it). */
  _cleanup_free_ char *o
      = xasprintf ("bind,uid=%u,gid=%u", (unsigned) getuid (), (unsigned) getgid ());
  if (dir)
    json_object_set_new (body, "DriverOpts",
                         json_pack ("{s:s,s:s,s:s}", "type", "none", "o", o, "device", dir));
  if (engine_post_json (c, "/volumes/create", body, NULL, err) < 0)
    return sbx_error_prefix (err, "creating it");
  return 0;
}

/* Write content-addressed: the same entries give the same file, which is
   never rewritten under a running container. */
static int
store (const char *etc, const char *kind, const char *text, char **path, sbx_error **err)
{
  char hex[SBX_SHA256_HEX_LEN + 1];
  sbx_sha256_hex (text, strlen (text), hex);
  *path = xasprintf ("%s/%s-%.16s", etc, kind, hex);
  struct stat st;
  if (lstat (*path, &st) == 0 && S_ISREG (st.st_mode))
    return 0;
  return write_file_atomic (*path, text, err);
}

int
devenv_user_prepare (engine_client *c, const devenv_spec *s, devenv_user *u, sbx_error **err)
{
  memset (u, 0, sizeof *u);
  _cleanup_free_ char *data = NULL;
  if (devenv_project_data_dir (s->project->id, &data, err) < 0)
    return -1;
  if (!data)
    return 0;
  _cleanup_json_ json_t *ins = NULL;
  if (engine_image_inspect (c, s->image, &ins, err) < 0)
    return sbx_error_prefix (err, "image %s", s->image);
  const char *image_id = json_string_value (json_object_get (ins, "Id"));
  const char *image_user
      = json_string_value (json_object_get (json_object_get (ins, "Config"), "User"));
  if (!image_id)
    return sbx_fail (err, SBX_ERR_ENGINE, "the engine gave no id for image %s", s->image);
  _cleanup_free_ char *etc = xasprintf ("%s/etc", data), *home_dir = xasprintf ("%s/home", data);
  if (make_dirs (etc, err) < 0 || make_dirs (home_dir, err) < 0)
    return sbx_error_prefix (err, "the project's user files");
  _cleanup_free_ char *passwd = NULL, *group = NULL;
  if (image_files (c, etc, image_id, &passwd, &group, err) < 0)
    return -1;

  u->name = choose_name (s, image_user, passwd);
  _cleanup_free_ char *line = find_entry (passwd, u->name, 0);
  _cleanup_free_ char *home = line ? field (line, strlen (line), 5) : NULL;
  _cleanup_free_ char *shell = line ? field (line, strlen (line), 6) : NULL;
  _cleanup_free_ char *root = find_entry (passwd, "root", 0);
  if (s->uid == 0)
    u->home = xstrdup (home && usable_home (home, s->project->dir) ? home : "/root");
  else
    u->home
        = usable_home (home, s->project->dir) ? xstrdup (home) : xasprintf ("/home/%s", u->name);
  if (!(shell && shell[0] == '/' && !strstr (shell, "nologin") && !strstr (shell, "/false")))
    {
      free (shell);
      shell = root ? field (root, strlen (root), 6) : NULL;
    }
  u->shell = xstrdup (shell && shell[0] == '/' ? shell : "/bin/sh");

  rewrite r = { .u = u, .uid = s->uid, .gid = s->gid, .out = xstrdup ("") };
  each_line (passwd, passwd_line, &r);
  _cleanup_free_ char *entry = xasprintf ("%s:x:%u:%u:%s:%s:%s\n", u->name, (unsigned) s->uid,
                                          (unsigned) s->gid, u->name, u->home, u->shell);
  /* root's line first, as every tool expects, then the user's. */
  _cleanup_free_ char *pw_text = NULL;
  if (s->uid != 0 && strncmp (r.out, "root:", 5) == 0)
    {
      const char *nl = strchr (r.out, '\n');
      pw_text = xasprintf ("%.*s%s%s", (int) (nl - r.out + 1), r.out, entry, nl + 1);
    }
  else
    pw_text = xasprintf ("%s%s", entry, r.out);
  free (r.out);

  r.out = xstrdup ("");
  each_line (group, group_scan, &r);
  each_line (group, group_line, &r);
  _cleanup_free_ char *gr_text = NULL;
  if (!r.have_gid && !r.renamed_group)
    gr_text = xasprintf ("%s%s:x:%u:\n", r.out, u->name, (unsigned) s->gid);
  else
    gr_text = xstrdup (r.out);
  free (r.out);

  if (store (etc, "passwd", pw_text, &u->passwd, err) < 0
      || store (etc, "group", gr_text, &u->group, err) < 0)
    return -1;

  /* The home volume, bound to the host directory. */
  u->volume = devenv_home_volume_name (s->project);
  if (project_volume (c, s->project, u->volume, home_dir, err) < 0)
    return sbx_error_prefix (err, "the home volume %s", u->volume);
  return 0;
}

int
devenv_volumes_prepare (engine_client *c, const devenv_spec *s, bool local, sbx_error **err)
{
  size_t i;
  json_t *m;
  json_array_foreach (s->rt ? s->rt->mounts : NULL, i, m)
  {
    const char *src = json_string_value (json_object_get (m, "Source"));
    if (strcmp (json_string_value (json_object_get (m, "Type")), "volume") != 0 || !src)
      continue;
    _cleanup_free_ char *name = devenv_volume_name (s->project, src);
    _cleanup_free_ char *data = NULL, *dir = NULL;
    if (local && devenv_project_data_dir (s->project->id, &data, err) < 0)
      return -1;
    if (data)
      {
        dir = xasprintf ("%s/volumes/%s", data, src);
        if (make_dirs (dir, err) < 0)
          return sbx_error_prefix (err, "the volume %s", name);
      }
    if (project_volume (c, s->project, name, dir, err) < 0)
      return sbx_error_prefix (err, "the volume %s", name);
  }
  return 0;
}
