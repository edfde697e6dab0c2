/* sha256.h: SHA-256 through libcrypto's EVP interface. */
#ifndef SBX_SHA256_H
#define SBX_SHA256_H

#include <stddef.h>

#define SBX_SHA256_HEX_LEN 64

/* out receives 64 lowercase hex digits and a NUL. */
void sbx_sha256_hex (const void *data, size_t len, char out[SBX_SHA256_HEX_LEN + 1]);
void sbx_hex_encode (const unsigned char *bytes, size_t n, char *out);

#endif
