/* guarantees.c: the table of what each backend guarantees (guarantees.h). */
#include "guarantees.h"
#include "host/host.h"

#include <string.h>

static const struct
{
  const char *name;
  const char *text;
} rows[SBX_G_COUNT] = {
  [SBX_G_NO_WIDENING] = { "no-widening", "project files only narrow isolation unless trusted" },
  [SBX_G_PROTECTED]
  = { "protected-paths", ".git/config, .git/hooks, .sbx, .devcontainer read-only" },
  [SBX_G_NO_DAEMON]
  = { "no-daemon-socket", "no Unix socket outside the writable dirs (docker.sock)" },
  [SBX_G_NO_ABSTRACT] = { "no-abstract-socket", "no abstract Unix socket of the host" },
  [SBX_G_CREDENTIALS]
  = { "credentials", "~/.ssh, ~/.aws, ~/.docker/config.json, /etc/shadow unreadable" },
  [SBX_G_ENVIRONMENT] = { "environment", "credential-like variables not passed" },
  [SBX_G_TERMINAL] = { "terminal", "no TIOCSTI/TIOCLINUX on the terminal" },
  [SBX_G_PROCESSES]
  = { "processes", "no signal, limit, priority or /proc read of other processes" },
  [SBX_G_NO_SURVIVORS] = { "no-survivors", "nothing the command started outlives it" },
  [SBX_G_ROOT]
  = { "root", "as root: no capability, device node, hostname or metadata change outside" },
  [SBX_G_NO_SETUID] = { "no-setuid", "no setuid/setgid file created" },
  [SBX_G_BOUNDED] = { "bounded", "process count and memory bounded" },
};

void
sbx_kernel_caps_probe (sbx_kernel_caps *k)
{
  memset (k, 0, sizeof *k);
  k->landlock_abi = host_landlock_abi ();
  k->seccomp = host_seccomp_available ();
  k->seccomp_notify = k->seccomp && host_seccomp_notify_available ();
  k->mount_ns = host_mount_ns_available ();
}

const char *
sbx_guarantee_name (sbx_guarantee g)
{
  return g < SBX_G_COUNT ? rows[g].name : "?";
}

const char *
sbx_guarantee_text (sbx_guarantee g)
{
  return g < SBX_G_COUNT ? rows[g].text : "?";
}

static bool
given (const char **how, const char *text)
{
  *how = text;
  return true;
}

static bool
missing (const char **how, const char *text)
{
  *how = text;
  return false;
}

/* Landlock + seccomp on the host, under sbx's supervising parent. */
static bool
landlock_row (sbx_guarantee g, const sbx_kernel_caps *k, const char **how)
{
  switch (g)
    {
    case SBX_G_PROTECTED:
      return k->mount_ns ? given (how, "read-only bind mounts in a mount namespace")
                         : missing (how, "no mount namespace for this user (user namespaces off)");
    case SBX_G_NO_DAEMON:
      if (!k->mount_ns)
        return missing (how, "no mount namespace for this user: /tmp would be the host's");
      return k->seccomp_notify
                 ? given (how, "connect() supervised by sbx; /tmp and /dev/shm its own")
                 : missing (how, "no seccomp user notification with pidfd_getfd (Linux < 5.6)");
    case SBX_G_NO_ABSTRACT:
      return k->landlock_abi >= 6 ? given (how, "Landlock scope (ABI 6)")
                                  : missing (how, "Landlock ABI < 6 has no abstract socket scope");
    case SBX_G_CREDENTIALS:
      return given (how, "Landlock read rules: a deny list enforced as an allow list");
    case SBX_G_TERMINAL:
      return given (how, "seccomp (ioctl number compared on 32 bits)");
    case SBX_G_PROCESSES:
      return k->landlock_abi >= 6
                 ? given (how, "Landlock ptrace rule and signal scope, seccomp on pid arguments")
                 : missing (how, "Landlock ABI < 6 cannot scope signals");
    case SBX_G_NO_SURVIVORS:
      return given (how, "sbx is the subreaper and kills what is left");
    case SBX_G_ROOT:
    case SBX_G_NO_SETUID:
      return k->seccomp_notify
                 ? given (how, "capabilities dropped; metadata calls supervised by sbx")
                 : missing (how, "no seccomp user notification with pidfd_getfd (Linux < 5.6)");
    case SBX_G_BOUNDED:
      return given (how, "rlimits (RLIMIT_NPROC, memory)");
    default:
      return given (how, "sbx");
    }
}

/* bwrap or nsjail: namespaces, a root of read-only binds, seccomp. */
static bool
namespaces_row (sbx_guarantee g, const sbx_kernel_caps *k, const char **how)
{
  switch (g)
    {
    case SBX_G_PROTECTED:
      return given (how, "read-only binds over the protected paths");
    case SBX_G_NO_DAEMON:
      return given (how, "only the system, the project and given dirs are mounted");
    case SBX_G_NO_ABSTRACT:
      return k->landlock_abi >= 6
                 ? given (how, "network namespace; with network, Landlock scope (ABI 6)")
                 : given (how, "network namespace (with --allow-network: not on Landlock ABI < 6)");
    case SBX_G_CREDENTIALS:
      return given (how, "home not mounted; /etc credentials masked");
    case SBX_G_TERMINAL:
      return given (how, "new session and seccomp");
    case SBX_G_PROCESSES:
    case SBX_G_NO_SURVIVORS:
      return given (how, "PID namespace, dies with its parent");
    case SBX_G_ROOT:
      return given (how, "user namespace, all capabilities dropped");
    case SBX_G_NO_SETUID:
      return given (how, "seccomp refuses setuid/setgid modes; nosuid mounts");
    case SBX_G_BOUNDED:
      return given (how, "rlimits (RLIMIT_NPROC, memory)");
    default:
      return given (how, "sbx");
    }
}

/* The hardened project container (runc or gVisor). */
static bool
container_row (sbx_guarantee g, const char **how)
{
  switch (g)
    {
    case SBX_G_PROTECTED:
      return given (how, "read-only bind mounts over the project bind");
    case SBX_G_NO_DAEMON:
    case SBX_G_CREDENTIALS:
      return given (how, "only the project and given dirs are mounted");
    case SBX_G_NO_ABSTRACT:
      return given (how, "the container's own network namespace");
    case SBX_G_TERMINAL:
    case SBX_G_PROCESSES:
      return given (how, "the container's own PID namespace and terminal");
    case SBX_G_NO_SURVIVORS:
      return given (how, "each command under its own subreaper in the agent");
    case SBX_G_ROOT:
      return given (how, "CapDrop ALL, no-new-privileges");
    case SBX_G_NO_SETUID:
      return given (how, "seccomp in the agent refuses setuid/setgid modes");
    case SBX_G_BOUNDED:
      return given (how, "PidsLimit and a memory limit");
    default:
      return given (how, "sbx");
    }
}

bool
sbx_guarantee_given_hardening (sbx_guarantee g, const char *hardening, const char **how)
{
  bool caps = hardening && strncmp (hardening, "docker-default", 14) == 0;
  bool nnp = !hardening || strcmp (hardening, "docker-default") != 0;
  if (caps && g == SBX_G_ROOT)
    return missing (how, nnp ? "Docker's default capabilities (the project's trusted opt-in): "
                               "root in the container can chown, kill, bind low ports"
                             : "Docker's default capabilities without no-new-privileges (the "
                               "project's trusted opt-in): sudo works, root in the container can "
                               "chown, kill, bind low ports");
  if (!nnp && g == SBX_G_NO_SETUID)
    return missing (how, "without no-new-privileges the agent installs no seccomp filter: root in "
                         "the container can set setuid bits in the project");
  return container_row (g, how);
}

json_t *
sbx_hardening_report (const char *hardening)
{
  json_t *out = json_object ();
  for (int g = 0; g < SBX_G_COUNT; g++)
    {
      const char *how;
      if (!sbx_guarantee_given_hardening ((sbx_guarantee) g, hardening, &how))
        json_object_set_new (out, rows[g].name, json_pack ("{s:b,s:s}", "given", 0, "how", how));
    }
  return out;
}

bool
sbx_guarantee_given (sbx_backend b, sbx_guarantee g, const sbx_kernel_caps *k, const char **how)
{
  switch (b)
    {
    case SBX_BACKEND_NONE:
      return missing (how, "isolation off");
    case SBX_BACKEND_SEATBELT:
      return missing (how, "not checked on this platform");
    case SBX_BACKEND_LANDLOCK:
      return landlock_row (g, k, how);
    case SBX_BACKEND_BWRAP:
    case SBX_BACKEND_NSJAIL:
      return namespaces_row (g, k, how);
    case SBX_BACKEND_DOCKER:
    case SBX_BACKEND_DOCKER_RUNSC:
      return container_row (g, how);
    }
  return missing (how, "unknown backend");
}

sbx_guarantee
sbx_guarantee_first_missing (sbx_backend b, const sbx_kernel_caps *k)
{
  for (int g = 0; g < SBX_G_COUNT; g++)
    {
      const char *how;
      if (!sbx_guarantee_given (b, (sbx_guarantee) g, k, &how))
        return (sbx_guarantee) g;
    }
  return SBX_G_COUNT;
}

json_t *
sbx_guarantees_report (const sbx_probes *p, const sbx_kernel_caps *k)
{
  json_t *out = json_object ();
  for (int g = 0; g < SBX_G_COUNT; g++)
    {
      json_t *row = json_pack ("{s:s}", "text", rows[g].text);
      for (int l = SBX_LEVEL_OFF; l <= SBX_LEVEL_MAXIMUM; l++)
        {
          sbx_selection s;
          sbx_error *err = NULL;
          json_t *cell;
          if (sbx_select ((sbx_level) l, p, false, &s, &err) < 0)
            {
              sbx_error_free (err);
              cell = json_pack ("{s:b,s:s}", "given", 0, "how", "level unavailable here");
            }
          else
            {
              const char *how;
              bool ok = sbx_guarantee_given (s.backend, (sbx_guarantee) g, k, &how);
              cell = json_pack ("{s:b,s:s}", "given", ok, "how", how);
            }
          json_object_set_new (row, sbx_level_name ((sbx_level) l), cell);
        }
      json_object_set_new (out, rows[g].name, row);
    }
  return out;
}
