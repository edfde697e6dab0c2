/* spawn.c: starting the command of an EXEC request under its supervisor
   (agent_supervise: the session leader and the subreaper of the exec),
   with pipes (or a pseudo-terminal), its working directory, environment
   (the agent's own, which is the container's, with the request's entries
   set over it and the exec token added) and the commands' seccomp
   filter. */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static void
make_token (char out[40])
{
  static unsigned long counter;
  unsigned char raw[12];
  if (getrandom (raw, sizeof raw, GRND_NONBLOCK) != (ssize_t) sizeof raw)
    memset (raw, 0, sizeof raw);
  static const char hex[] = "0123456789abcdef";
  char *p = out;
  for (size_t i = 0; i < sizeof raw; i++)
    {
      *p++ = hex[raw[i] >> 4];
      *p++ = hex[raw[i] & 15];
    }
  snprintf (p, 40 - (size_t) (p - out), "-%lx", ++counter % 0xfffffff);
}

/* Is entry "K=..." for the same K as the "K=V" of length n at kv? */
static int
same_key (const char *entry, const uint8_t *kv, uint32_t n)
{
  const uint8_t *eq = memchr (kv, '=', n);
  size_t k = (size_t) (eq - kv);
  return strncmp (entry, (const char *) kv, k) == 0 && entry[k] == '=';
}

static char *
dup_bytes (const uint8_t *p, uint32_t n)
{
  char *s = malloc ((size_t) n + 1);
  if (!s)
    _exit (125);
  memcpy (s, p, n);
  s[n] = '\0';
  return s;
}

/* In the child: argv, environment, directory, then exec. */
static void __attribute__ ((noreturn))
child_exec (const uint8_t *payload, size_t len, const sbx_exec_request *req, const char *token)
{
  size_t nenv = 0;
  for (char **e = environ; *e; e++)
    nenv++;
  char **argv = calloc ((size_t) req->argc + 1, sizeof *argv);
  char **env = calloc (nenv + req->envc + 2, sizeof *env);
  if (!argv || !env)
    _exit (125);
  size_t ne = 0;
  for (char **e = environ; *e; e++)
    if (strncmp (*e, AGENT_TOKEN_VAR "=", sizeof AGENT_TOKEN_VAR) != 0)
      env[ne++] = *e;
  size_t off = 0, na = 0;
  uint8_t tag;
  const uint8_t *d;
  uint32_t n;
  while (sbx_field_next (payload, len, &off, &tag, &d, &n) == SBX_FRAME_OK)
    if (tag == SBX_EXEC_ARG)
      argv[na++] = dup_bytes (d, n);
    else if (tag == SBX_EXEC_ENV)
      {
        size_t i = 0;
        while (i < ne && !same_key (env[i], d, n))
          i++;
        env[i] = dup_bytes (d, n);
        if (i == ne)
          ne++;
      }
  char tokvar[64];
  snprintf (tokvar, sizeof tokvar, "%s=%s", AGENT_TOKEN_VAR, token);
  env[ne++] = tokvar;
  env[ne] = NULL;
  environ = env;
  if (req->cwd)
    {
      char *cwd = dup_bytes (req->cwd, req->cwd_len);
      if (chdir (cwd) < 0)
        {
          char msg[512];
          snprintf (msg, sizeof msg, "cannot change to the working directory %s: %s", cwd,
                    strerror (errno));
          agent_say (msg, "", "");
          _exit (126);
        }
    }
  if (agent_seccomp_install () < 0)
    {
      agent_say ("cannot install the seccomp filter of commands: ", strerror (errno), "");
      _exit (126);
    }
  _exit (agent_exec_command (argv));
}

static int
open_null (int flags)
{
  return open ("/dev/null", flags | O_CLOEXEC);
}

int
agent_spawn (const uint8_t *payload, size_t len, const sbx_exec_request *req, agent_child *child)
{
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, st[2] = { -1, -1 };
  int master = -1, saved;
  child->pid = -1;
  child->in = child->out = child->err = child->status_fd = -1;
  if (pipe2 (st, O_CLOEXEC) < 0)
    goto fail;
  make_token (child->token);

  if (req->tty)
    {
      master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0)
        goto fail;
      if (req->rows && req->cols)
        {
          struct winsize ws = { .ws_row = req->rows, .ws_col = req->cols };
          ioctl (master, TIOCSWINSZ, &ws);
        }
    }
  else
    {
      if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (err, O_CLOEXEC) < 0)
        goto fail;
      if (req->attach_stdin)
        {
          if (pipe2 (in, O_CLOEXEC) < 0)
            goto fail;
        }
      else if ((in[0] = open_null (O_RDONLY)) < 0)
        goto fail;
    }

  pid_t pid = fork ();
  if (pid < 0)
    goto fail;
  if (pid == 0)
    {
      setsid ();
      agent_restore_limits ();
      if (req->tty)
        {
          const char *name = ptsname (master);
          int slave = name ? open (name, O_RDWR) : -1;
          if (slave < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
            _exit (125);
          dup2 (slave, 0);
          dup2 (slave, 1);
          dup2 (slave, 2);
          if (slave > 2)
            close (slave);
        }
      else
        {
          dup2 (in[0], 0);
          dup2 (out[1], 1);
          dup2 (err[1], 2);
        }
      close (st[0]);
      if (agent_supervise (st[1]) < 0)
        _exit (125);
      child_exec (payload, len, req, child->token);
    }
  child->pid = pid;
  close (st[1]);
  child->status_fd = st[0];
  if (req->tty)
    {
      child->out = master;
      child->in = req->attach_stdin ? dup (master) : -1;
      if (child->in >= 0)
        fcntl (child->in, F_SETFD, FD_CLOEXEC);
    }
  else
    {
      close (in[0]);
      close (out[1]);
      close (err[1]);
      child->in = req->attach_stdin ? in[1] : -1;
      child->out = out[0];
      child->err = err[0];
    }
  int fds[] = { child->in, child->out, child->err, child->status_fd };
  for (size_t i = 0; i < 4; i++)
    if (fds[i] >= 0)
      fcntl (fds[i], F_SETFL, fcntl (fds[i], F_GETFL) | O_NONBLOCK);
  return 0;

fail:
  saved = errno;
  int all[] = { in[0], in[1], out[0], out[1], err[0], err[1], master, st[0], st[1] };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (all[i] >= 0)
      close (all[i]);
  errno = saved;
  return -1;
}
