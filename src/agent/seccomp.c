/* seccomp.c: the filter every command of the container runs under, on top
   of the engine's own profile (filters stack; the stricter answer wins):
   no setuid or setgid bit can be set from inside (the project is a bind
   mount of the host's directory, and a setuid-root file planted there as
   root would be run later by another user of the host), and no device
   node can be made.  Refused with EPERM: chmod, fchmod, fchmodat and
   fchmodat2 with S_ISUID or S_ISGID in the mode; open, openat and creat
   that create a file (O_CREAT, O_TMPFILE) with those bits; mknod and
   mknodat of a character or block device.  openat2 (its mode is behind a
   pointer) and io_uring (its operations bypass seccomp) answer ENOSYS, so
   that programs fall back to the calls above.  x86-64 and aarch64 only;
   any other architecture (x32 and i386 on x86-64 among them) is refused:
   ENOSYS for x32 calls, the process killed for any other.

   A container that a trusted project asked to run with Docker's default
   capabilities and without no-new-privileges (its hardening
   "docker-default", DEVENV_HARDENING_ENV in its environment) gets no
   filter: installing one needs no-new-privileges (or CAP_SYS_ADMIN), and
   no-new-privileges would stop sudo, which is what the project asked for.
   The filter is left out only when the process really runs without
   no-new-privileges: the variable alone (which a command could set for
   a child) changes nothing where the container has it. */
#include "agent/agent.h"
#include "devenv/labels.h"

#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <elf.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AUDIT_ARCH_AARCH64
#define AUDIT_ARCH_AARCH64 (EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE)
#endif
#define X32_BIT 0x40000000u
#define O_TMPFILE_BIT 020000000u /* __O_TMPFILE, the same on both */

/* Syscall numbers of both tables (those only x86-64 has: -1 on aarch64). */
enum
{
  X_OPEN = 2,
  X_CREAT = 85,
  X_CHMOD = 90,
  X_FCHMOD = 91,
  X_MKNOD = 133,
  X_OPENAT = 257,
  X_MKNODAT = 259,
  X_FCHMODAT = 268,
  A_MKNODAT = 33,
  A_FCHMOD = 52,
  A_FCHMODAT = 53,
  A_OPENAT = 56,
  G_IO_URING_SETUP = 425,
  G_IO_URING_ENTER = 426,
  G_IO_URING_REGISTER = 427,
  G_OPENAT2 = 437,
  G_FCHMODAT2 = 452, /* generic: the same number on both */
};

#define ARG_LO(i) ((uint32_t) (offsetof (struct seccomp_data, args) + 8 * (i))) /* little-endian   \
                                                                                 */
#define INSN(c, t, f, k) ((struct sock_filter){ (unsigned short) (c), (t), (f), (uint32_t) (k) })
#define LD(off) INSN (BPF_LD | BPF_W | BPF_ABS, 0, 0, (off))
#define JEQ(k, t, f) INSN (BPF_JMP | BPF_JEQ | BPF_K, (t), (f), (k))
#define JSET(k, t, f) INSN (BPF_JMP | BPF_JSET | BPF_K, (t), (f), (k))
#define RET(v) INSN (BPF_RET | BPF_K, 0, 0, (v))
#define ALLOW RET (SECCOMP_RET_ALLOW)
#define EPERM_ RET (SECCOMP_RET_ERRNO | EPERM)
#define ENOSYS_ RET (SECCOMP_RET_ERRNO | ENOSYS)
#define NO_BITS (S_ISUID | S_ISGID)

/* The checks of one call, each block ending in a return (so that the
   accumulator still holds the call's number after a jump over it): */
/* the mode in argument i has a setuid or setgid bit */
#define MODE_BITS(i)                                                                               \
  {                                                                                                \
    LD (ARG_LO (i)), JSET (NO_BITS, 0, 1), EPERM_, ALLOW                                           \
  }
/* the flags in argument f create a file, with such a mode in argument m */
#define CREATE_BITS(f, m)                                                                          \
  {                                                                                                \
    LD (ARG_LO (f)), JSET (O_CREAT | O_TMPFILE_BIT, 0, 3), LD (ARG_LO (m)), JSET (NO_BITS, 0, 1),  \
        EPERM_, ALLOW                                                                              \
  }
/* the mode in argument i is a character or block device */
#define DEVICE(i)                                                                                  \
  {                                                                                                \
    LD (ARG_LO (i)), INSN (BPF_ALU | BPF_AND | BPF_K, 0, 0, S_IFMT), JEQ (S_IFCHR, 1, 0),          \
        JEQ (S_IFBLK, 0, 1), EPERM_, ALLOW                                                         \
  }
#define ANSWER(r)                                                                                  \
  {                                                                                                \
    r                                                                                              \
  }

typedef struct prog
{
  struct sock_filter f[160];
  size_t n;
} prog;

static void
emit (prog *p, struct sock_filter x)
{
  if (p->n < sizeof p->f / sizeof p->f[0])
    p->f[p->n] = x;
  p->n++; /* an overflow is caught before the filter is used */
}

/* "if nr == NR: the block" */
static void
on_call (prog *p, uint32_t nr, const struct sock_filter *blk, size_t len)
{
  emit (p, JEQ (nr, 0, (uint8_t) len));
  for (size_t i = 0; i < len; i++)
    emit (p, blk[i]);
}
#define ON(p, nr, ...)                                                                             \
  do                                                                                               \
    {                                                                                              \
      const struct sock_filter blk_[] = __VA_ARGS__;                                               \
      on_call ((p), (nr), blk_, sizeof blk_ / sizeof blk_[0]);                                     \
    }                                                                                              \
  while (0)

/* The calls both tables share (generic numbers). */
static void
common_calls (prog *p)
{
  ON (p, G_FCHMODAT2, MODE_BITS (2));
  ON (p, G_OPENAT2, ANSWER (ENOSYS_));
  ON (p, G_IO_URING_SETUP, ANSWER (ENOSYS_));
  ON (p, G_IO_URING_ENTER, ANSWER (ENOSYS_));
  ON (p, G_IO_URING_REGISTER, ANSWER (ENOSYS_));
  emit (p, ALLOW);
}

static void
x86_64 (prog *p)
{
  emit (p, LD (offsetof (struct seccomp_data, nr)));
  emit (p, JSET (X32_BIT, 0, 1));
  emit (p, ENOSYS_);
  ON (p, X_CHMOD, MODE_BITS (1));
  ON (p, X_FCHMOD, MODE_BITS (1));
  ON (p, X_FCHMODAT, MODE_BITS (2));
  ON (p, X_CREAT, MODE_BITS (1));
  ON (p, X_OPEN, CREATE_BITS (1, 2));
  ON (p, X_OPENAT, CREATE_BITS (2, 3));
  ON (p, X_MKNOD, DEVICE (1));
  ON (p, X_MKNODAT, DEVICE (2));
  common_calls (p);
}

static void
aarch64 (prog *p)
{
  emit (p, LD (offsetof (struct seccomp_data, nr)));
  ON (p, A_FCHMOD, MODE_BITS (1));
  ON (p, A_FCHMODAT, MODE_BITS (2));
  ON (p, A_OPENAT, CREATE_BITS (2, 3));
  ON (p, A_MKNODAT, DEVICE (2));
  common_calls (p);
}

int
agent_seccomp_install (void)
{
  const char *mode = getenv (DEVENV_HARDENING_ENV);
  if (mode && strcmp (mode, "docker-default") == 0 && prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0)
    return 0;
  static prog p;
  prog x = { .n = 0 }, a = { .n = 0 };
  x86_64 (&x);
  aarch64 (&a);
  if (x.n > 255 || a.n > 255)
    {
      errno = E2BIG;
      return -1;
    }
  p.n = 0;
  emit (&p, LD (offsetof (struct seccomp_data, arch)));
  emit (&p, JEQ (AUDIT_ARCH_X86_64, 0, (uint8_t) x.n));
  for (size_t i = 0; i < x.n; i++)
    emit (&p, x.f[i]);
  emit (&p, JEQ (AUDIT_ARCH_AARCH64, 0, (uint8_t) a.n));
  for (size_t i = 0; i < a.n; i++)
    emit (&p, a.f[i]);
  emit (&p, RET (SECCOMP_RET_KILL_PROCESS));
  if (p.n > sizeof p.f / sizeof p.f[0])
    {
      errno = E2BIG;
      return -1;
    }
  struct sock_fprog fp = { .len = (unsigned short) p.n, .filter = p.f };
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -1;
  return prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0);
}
