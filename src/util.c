/* util.c: allocation wrappers, string vectors, full writes. */
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <time.h>
#include <string.h>

static void
oom (void)
{
  static const char msg[] = "sbx: out of memory\n";
  (void) !write (2, msg, sizeof msg - 1);
  abort ();
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (!p)
    oom ();
  return p;
}

void *
xcalloc (size_t n, size_t m)
{
  void *p = calloc (n ? n : 1, m ? m : 1);
  if (!p)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (!p)
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p = strdup (s);
  if (!p)
    oom ();
  return p;
}

char *
xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (!p)
    oom ();
  return p;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *p;
  va_start (ap, fmt);
  if (vasprintf (&p, fmt, ap) < 0)
    oom ();
  va_end (ap);
  return p;
}

size_t
strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

char **
strv_dup (char *const *v)
{
  size_t n = strv_len (v);
  char **r = xcalloc (n + 1, sizeof *r);
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

void
strv_append (char ***v, const char *s)
{
  size_t n = strv_len (*v);
  *v = xrealloc (*v, (n + 2) * sizeof **v);
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

void
strv_append_all (char ***v, ...)
{
  va_list ap;
  va_start (ap, v);
  for (const char *s; (s = va_arg (ap, const char *));)
    strv_append (v, s);
  va_end (ap);
}

void
strv_free (char **v)
{
  sbx_strvfreep (&v);
}

int
sbx_write_loop (sbx_write_step step, sbx_write_wait wait, void *ud, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = step (ud, p, len);
      if (n < 0)
        return -1;
      if (n == 0)
        {
          if (!wait)
            {
              errno = EIO;
              return -1;
            }
          if (wait (ud) < 0)
            return -1;
          continue;
        }
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

static ssize_t
fd_write_step (void *ud, const void *buf, size_t len)
{
  for (;;)
    {
      ssize_t n = write (*(int *) ud, buf, len);
      if (n >= 0 || errno != EINTR)
        return n;
    }
}

int
write_all (int fd, const void *buf, size_t len)
{
  return sbx_write_loop (fd_write_step, NULL, &fd, buf, len);
}

uint32_t
sbx_fnv1a (const char *s)
{
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 16777619u;
  return h;
}

void
sbx_random_hex (char *out, size_t nbytes)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char raw[64];
  if (nbytes > sizeof raw)
    nbytes = sizeof raw;
  int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  bool ok = fd >= 0 && read (fd, raw, nbytes) == (ssize_t) nbytes;
  if (fd >= 0)
    close (fd);
  if (!ok)
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      for (size_t i = 0; i < nbytes; i++)
        raw[i] = (unsigned char) ((ts.tv_nsec >> (i % 8)) ^ (getpid () >> (i % 4)) ^ (i * 131));
    }
  for (size_t i = 0; i < nbytes; i++)
    {
      out[2 * i] = hex[raw[i] >> 4];
      out[2 * i + 1] = hex[raw[i] & 15];
    }
  out[2 * nbytes] = '\0';
}

long
sbx_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
sbx_sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

char *
sbx_cwd_within (const char *dir)
{
  char cwd[PATH_MAX];
  size_t n = strlen (dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  if (getcwd (cwd, sizeof cwd) && strncmp (cwd, dir, n) == 0
      && (cwd[n] == '\0' || cwd[n] == '/' || (n == 1 && dir[0] == '/')))
    return xstrdup (cwd);
  return xstrdup (dir);
}
