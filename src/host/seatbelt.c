/* seatbelt.c: macOS Seatbelt (SBPL) profile generation for sandbox-exec.

   Two modes.  workspace (the default level): reads anywhere but the usual
   credential stores, writes only the project, the temp dirs and --rw dirs,
   executes anything readable.  strict (the enhanced level): reads only the
   system, the project, the temp dirs and the given dirs, executes only from
   the system and the project, a short list of Mach services.

   Both deny by default; network only when allowed; and connecting to the
   Unix sockets of the Docker daemon and other container daemons is denied in
   every case (Seatbelt files those connects under network, so an allowed
   network would otherwise open the door to a root-equivalent daemon).  In
   SBPL the last matching rule wins: these denies come last.

   The generator reads nothing from the environment: the same policy always
   gives the same text (the golden tests rely on it). */
#include "host.h"
#include "util.h"

#include <stdarg.h>
#include <string.h>

typedef struct
{
  char *buf;
  size_t len, cap;
} sb;

static void
sb_add (sb *s, const char *t)
{
  size_t n = strlen (t);
  if (s->len + n + 1 > s->cap)
    {
      s->cap = (s->len + n + 1) * 2;
      s->buf = xrealloc (s->buf, s->cap);
    }
  memcpy (s->buf + s->len, t, n + 1);
  s->len += n;
}

static void
sb_addf (sb *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
sb_addf (sb *s, const char *fmt, ...)
{
  va_list ap;
  char *t;
  va_start (ap, fmt);
  if (vasprintf (&t, fmt, ap) < 0)
    t = NULL;
  va_end (ap);
  if (t == NULL)
    abort ();
  sb_add (s, t);
  free (t);
}

/* An SBPL string literal: "..." with \ and " escaped. */
static void
sb_quote (sb *s, const char *path)
{
  sb_add (s, "\"");
  for (const char *p = path; *p; p++)
    {
      char c[3] = { 0 };
      if (*p == '"' || *p == '\\')
        {
          c[0] = '\\';
          c[1] = *p;
        }
      else
        c[0] = *p;
      sb_add (s, c);
    }
  sb_add (s, "\"");
}

static void
sb_subpaths (sb *s, const char *indent, char *const *dirs)
{
  for (char *const *d = dirs; d && *d; d++)
    {
      sb_addf (s, "\n%s(subpath ", indent);
      sb_quote (s, *d);
      sb_add (s, ")");
    }
}

static const char *const system_read_paths[] = {
  "/usr", "/bin", "/sbin", "/System", "/Library", "/private/etc", "/etc",
  "/private/var/db/timezone", "/private/var/db/dyld", "/opt/homebrew", "/opt/local",
  "/Applications/Xcode.app", "/Library/Developer/CommandLineTools", "/dev", NULL,
};

static const char *const system_exec_paths[] = {
  "/usr", "/bin", "/sbin", "/System", "/opt/homebrew", "/opt/local",
  "/Applications/Xcode.app", "/Library/Developer/CommandLineTools", NULL,
};

static const char *const temp_paths[] = {
  "/private/tmp", "/private/var/folders", "/tmp", "/var/folders", NULL,
};

/* Regexes of credential stores under any home directory (workspace mode). */
static const char *const credential_regexes[] = {
  "^/Users/[^/]+/\\.ssh(/|$)",
  "^/Users/[^/]+/\\.gnupg(/|$)",
  "^/Users/[^/]+/\\.aws(/|$)",
  "^/Users/[^/]+/\\.config/gcloud(/|$)",
  "^/Users/[^/]+/\\.azure(/|$)",
  "^/Users/[^/]+/\\.kube(/|$)",
  "^/Users/[^/]+/\\.docker/config\\.json$",
  "^/Users/[^/]+/\\.netrc$",
  "^/Users/[^/]+/Library/Keychains(/|$)",
  NULL,
};

static const char *const mach_services_strict[] = {
  "com.apple.system.logger",
  "com.apple.system.notification_center",
  "com.apple.system.opendirectoryd.libinfo",
  "com.apple.coreservices.launchservicesd",
  "com.apple.CoreServices.coreservicesd",
  "com.apple.SecurityServer",
  "com.apple.trustd.agent",
  NULL,
};

/* Unix sockets of daemons that are root-equivalent or escape the sandbox. */
static const char *const daemon_socket_literals[] = {
  "/var/run/docker.sock",
  "/private/var/run/docker.sock",
  "/var/run/containerd/containerd.sock",
  "/private/var/run/containerd/containerd.sock",
  "/var/run/podman/podman.sock",
  "/private/var/run/podman/podman.sock",
  "/var/run/com.docker.vmnetd.sock",
  "/private/var/run/com.docker.vmnetd.sock",
  NULL,
};

static const char *const daemon_socket_regexes[] = {
  "^/Users/[^/]+/\\.docker/run/docker\\.sock$",
  "^/Users/[^/]+/\\.docker/desktop/.*\\.sock$",
  "^/Users/[^/]+/\\.colima/.*\\.sock$",
  "^/Users/[^/]+/\\.rd/docker\\.sock$",
  "^/Users/[^/]+/\\.orbstack/run/docker\\.sock$",
  "^/Users/[^/]+/\\.lima/.*\\.sock$",
  "^/Users/[^/]+/\\.local/share/containers/podman/machine/.*\\.sock$",
  NULL,
};

static void
sb_regex (sb *s, const char *re)
{
  /* SBPL regex literal: #"..." (no escaping of the backslashes inside). */
  sb_addf (s, "#\"%s\"", re);
}

char *
host_seatbelt_profile (const host_policy *pol, host_seatbelt_mode mode)
{
  bool strict = mode == HOST_SEATBELT_STRICT;
  sb s = { 0 };
  sb_add (&s, "(version 1)\n");
  sb_addf (&s, "; sbx Seatbelt profile: mode %s, network %s, project %s\n",
           strict ? "strict" : "workspace", pol->allow_network ? "allowed" : "denied",
           pol->project_dir ? (pol->allow_write ? "read-write" : "read-only") : "none");
  sb_add (&s, "(deny default)\n\n");

  sb_add (&s, "; processes\n");
  sb_add (&s, "(allow process-fork)\n");
  if (strict)
    {
      sb_add (&s, "(allow process-exec");
      for (const char *const *p = system_exec_paths; *p; p++)
        {
          sb_add (&s, "\n    (subpath ");
          sb_quote (&s, *p);
          sb_add (&s, ")");
        }
      if (pol->project_dir)
        {
          sb_add (&s, "\n    (subpath ");
          sb_quote (&s, pol->project_dir);
          sb_add (&s, ")");
        }
      sb_add (&s, ")\n");
    }
  else
    sb_add (&s, "(allow process-exec)\n");
  sb_add (&s, "(allow signal (target same-sandbox))\n");
  sb_add (&s, "(allow process-info* (target same-sandbox))\n");
  sb_add (&s, "(allow sysctl-read)\n");
  sb_add (&s, "(allow ipc-posix-sem)\n");
  sb_add (&s, "(allow ipc-posix-shm)\n");
  sb_add (&s, "(allow pseudo-tty)\n");
  if (strict)
    {
      sb_add (&s, "(allow mach-lookup");
      for (const char *const *p = mach_services_strict; *p; p++)
        sb_addf (&s, "\n    (global-name \"%s\")", *p);
      sb_add (&s, ")\n");
    }
  else
    sb_add (&s, "(allow mach-lookup)\n");

  sb_add (&s, "\n; reading\n");
  sb_add (&s, "(allow file-read-metadata)\n");
  if (strict)
    {
      sb_add (&s, "(allow file-read*\n    (literal \"/\")");
      for (const char *const *p = system_read_paths; *p; p++)
        {
          sb_add (&s, "\n    (subpath ");
          sb_quote (&s, *p);
          sb_add (&s, ")");
        }
      sb_add (&s, ")\n");
    }
  else
    {
      sb_add (&s, "(allow file-read*)\n");
      sb_add (&s, "(deny file-read* file-write*");
      for (const char *const *p = credential_regexes; *p; p++)
        {
          sb_add (&s, "\n    (regex ");
          sb_regex (&s, *p);
          sb_add (&s, ")");
        }
      sb_add (&s, ")\n");
    }
  if (pol->ro_dirs && pol->ro_dirs[0])
    {
      sb_add (&s, "(allow file-read*");
      sb_subpaths (&s, "    ", pol->ro_dirs);
      sb_add (&s, ")\n");
    }
  if (pol->project_dir && !pol->allow_write)
    {
      sb_add (&s, "(allow file-read* (subpath ");
      sb_quote (&s, pol->project_dir);
      sb_add (&s, "))\n");
    }

  sb_add (&s, "\n; writing: the project, the temp dirs, the writable dirs\n");
  sb_add (&s, "(allow file-read* file-write*");
  if (pol->project_dir && pol->allow_write)
    {
      sb_add (&s, "\n    (subpath ");
      sb_quote (&s, pol->project_dir);
      sb_add (&s, ")");
    }
  for (const char *const *p = temp_paths; *p; p++)
    {
      sb_add (&s, "\n    (subpath ");
      sb_quote (&s, *p);
      sb_add (&s, ")");
    }
  sb_subpaths (&s, "    ", pol->rw_dirs);
  sb_add (&s, ")\n");
  sb_add (&s, "(allow file-read* file-write-data file-ioctl\n"
              "    (literal \"/dev/null\")\n"
              "    (literal \"/dev/zero\")\n"
              "    (literal \"/dev/tty\")\n"
              "    (literal \"/dev/dtracehelper\")\n"
              "    (regex #\"^/dev/ttys[0-9]+$\"))\n");

  sb_add (&s, "\n; network\n");
  if (pol->allow_network)
    sb_add (&s, "(allow network*)\n(allow system-socket)\n");
  else
    sb_add (&s, "; denied (deny default): no inbound, outbound or bind\n");

  sb_add (&s, "\n; daemon sockets: never, whatever the network setting\n");
  sb_add (&s, "(deny network-outbound");
  for (const char *const *p = daemon_socket_literals; *p; p++)
    {
      sb_add (&s, "\n    (remote unix-socket (path-literal ");
      sb_quote (&s, *p);
      sb_add (&s, "))");
    }
  for (const char *const *p = daemon_socket_regexes; *p; p++)
    {
      sb_add (&s, "\n    (remote unix-socket (path-regex ");
      sb_regex (&s, *p);
      sb_add (&s, "))");
    }
  sb_add (&s, ")\n");
  if (s.buf == NULL)
    return xstrdup ("");
  return s.buf;
}

char **
host_seatbelt_wrap_command (host_seatbelt_mode mode, const char *profile, const char *cmd)
{
  char **v = NULL;
  if (mode != HOST_SEATBELT_OFF)
    {
      strv_append (&v, "sandbox-exec");
      strv_append (&v, "-p");
      strv_append (&v, profile ? profile : "");
    }
  strv_append (&v, "bash");
  strv_append (&v, "-c");
  strv_append (&v, cmd);
  return v;
}
