/* sha256.h: SHA-256, in plain C (sha256.c says why not libcrypto here). */
#ifndef SBX_SHA256_H
#define SBX_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SBX_SHA256_LEN 32
#define SBX_SHA256_HEX_LEN 64

typedef struct sbx_sha256_ctx
{
  uint32_t h[8];
  uint64_t len; /* bytes so far */
  unsigned char buf[64];
  size_t fill; /* bytes in buf */
} sbx_sha256_ctx;

void sbx_sha256_init (sbx_sha256_ctx *c);
void sbx_sha256_update (sbx_sha256_ctx *c, const void *data, size_t n);
void sbx_sha256_final (sbx_sha256_ctx *c, unsigned char out[SBX_SHA256_LEN]);

/* out receives 64 lowercase hex digits and a NUL. */
void sbx_sha256_hex (const void *data, size_t len, char out[SBX_SHA256_HEX_LEN + 1]);
void sbx_hex_encode (const unsigned char *bytes, size_t n, char *out);

#endif
