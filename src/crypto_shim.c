/* crypto_shim.c: the libcrypto functions sbx uses, loaded on first use
   (see lazylib.h). */
#include <openssl/evp.h>

#include "lazylib.h"

static sbx_lazylib crypto = { .soname = "libcrypto.so.3" };

SBX_LAZY_FORWARD (crypto, const EVP_MD *, EVP_sha256, (void), ())
SBX_LAZY_FORWARD (crypto, int, EVP_Digest,
                  (const void *data, size_t count, unsigned char *md, unsigned int *size,
                   const EVP_MD *type, ENGINE *impl),
                  (data, count, md, size, type, impl))
SBX_LAZY_FORWARD (crypto, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
SBX_LAZY_FORWARD (crypto, void, EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))
SBX_LAZY_FORWARD (crypto, int, EVP_DigestInit_ex, (EVP_MD_CTX * ctx, const EVP_MD *type, ENGINE *impl),
                  (ctx, type, impl))
SBX_LAZY_FORWARD (crypto, int, EVP_DigestUpdate, (EVP_MD_CTX * ctx, const void *d, size_t cnt),
                  (ctx, d, cnt))
SBX_LAZY_FORWARD (crypto, int, EVP_DigestFinal_ex, (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *s),
                  (ctx, md, s))
