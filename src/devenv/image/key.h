/* key.h: the devenv key, SHA-256 over a versioned encoding in which every
   variable-length field is length-prefixed, so that no two inputs encode
   alike:
     "sbx-devenv-key\0" u32 version
     'D' u64 len  the Dockerfile's key text (its lines before the first
                  FROM and those of the stages the target reaches)
     per keyed entry, in walk order:  'E' u64 len path  u32 mode  32-byte digest
     per build arg an ARG declares, sorted:  'A' u64 len name  u64 len value
     'T' u64 len target
   (integers big-endian).  Modes are st_mode: file type and permissions; the
   digest is the content's (files), the link target's (symlinks) or zero
   (directories).  Times, owners and inode numbers are not in it. */
#ifndef SBX_DEVENV_KEY_H
#define SBX_DEVENV_KEY_H

#include <stddef.h>
#include "devenv/image/context.h"

typedef struct devenv_key_input
{
  const char *dockerfile; /* its key text (devenv_dockerfile.key_text) */
  size_t dockerfile_len;
  const devenv_entry *entries; /* only the keyed ones count */
  size_t n_entries;
  char *const *build_args; /* "K=V", sorted by name, one per name, declared; may be NULL */
  const char *target;      /* NULL or "" : none */
} devenv_key_input;

/* out: 64 lowercase hex digits and a NUL. */
void devenv_key_compute (const devenv_key_input *in, char out[65]);

/* Sort "K=V" args by name, the last of a name winning (allocated). */
char **devenv_build_args_normalize (char *const *a, char *const *b);

#endif
