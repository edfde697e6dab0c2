/* sha256.c: one-shot SHA-256 to hex. */
#include "sha256.h"

#include <stdlib.h>
#include <openssl/evp.h>

void
sbx_hex_encode (const unsigned char *bytes, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++)
    {
      out[2 * i] = digits[bytes[i] >> 4];
      out[2 * i + 1] = digits[bytes[i] & 15];
    }
  out[2 * n] = '\0';
}

void
sbx_sha256_hex (const void *data, size_t len, char out[SBX_SHA256_HEX_LEN + 1])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest (data, len, md, &mdlen, EVP_sha256 (), NULL))
    abort ();
  sbx_hex_encode (md, mdlen, out);
}
