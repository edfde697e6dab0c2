/* key.c: see key.h. */
#include "devenv/image/image.h"
#include "devenv/image/key.h"
#include "sha256.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

/* The key is SHA-256 whichever code computes it: plain C (sha256.c) for a
   small input, which spares loading libcrypto (a millisecond or more, what
   a cache hit on a small project costs in all), libcrypto's vectorised code
   for a large one (about 70 bytes an entry: 1000 entries are hashed in
   plain C in a third of a millisecond). */
#define KEY_PLAIN_MAX_ENTRIES 1000

typedef struct hasher
{
  EVP_MD_CTX *md; /* NULL: plain */
  sbx_sha256_ctx plain;
} hasher;

static void
put_raw (hasher *h, const void *p, size_t n)
{
  if (h->md)
    EVP_DigestUpdate (h->md, p, n);
  else
    sbx_sha256_update (&h->plain, p, n);
}

static void
put_u32 (hasher *h, uint32_t v)
{
  unsigned char b[4] = { (unsigned char) (v >> 24), (unsigned char) (v >> 16),
                         (unsigned char) (v >> 8), (unsigned char) v };
  put_raw (h, b, 4);
}

static void
put_u64 (hasher *h, uint64_t v)
{
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char) (v >> (56 - 8 * i));
  put_raw (h, b, 8);
}

static void
put_bytes (hasher *h, const void *p, size_t n)
{
  put_u64 (h, n);
  put_raw (h, p, n);
}

static void
put_tag (hasher *h, char tag)
{
  put_raw (h, &tag, 1);
}

void
devenv_key_compute (const devenv_key_input *in, char out[65])
{
  hasher h = { 0 };
  if (in->n_entries > KEY_PLAIN_MAX_ENTRIES)
    {
      h.md = EVP_MD_CTX_new ();
      if (!h.md || !EVP_DigestInit_ex (h.md, EVP_sha256 (), NULL))
        abort ();
    }
  else
    sbx_sha256_init (&h.plain);
  static const char magic[] = "sbx-devenv-key";
  put_raw (&h, magic, sizeof magic); /* with its NUL */
  put_u32 (&h, DEVENV_KEY_VERSION);
  put_tag (&h, 'D');
  put_bytes (&h, in->dockerfile, in->dockerfile_len);
  for (size_t i = 0; i < in->n_entries; i++)
    {
      const devenv_entry *e = &in->entries[i];
      if (!e->keyed)
        continue;
      put_tag (&h, 'E');
      put_bytes (&h, e->path, strlen (e->path));
      put_u32 (&h, (uint32_t) e->st.st_mode);
      put_raw (&h, e->digest, DEVENV_DIGEST_LEN);
    }
  for (char *const *a = in->build_args; a && *a; a++)
    {
      const char *eq = strchr (*a, '=');
      size_t kl = eq ? (size_t) (eq - *a) : strlen (*a);
      put_tag (&h, 'A');
      put_bytes (&h, *a, kl);
      const char *v = eq ? eq + 1 : "";
      put_bytes (&h, v, strlen (v));
    }
  put_tag (&h, 'T');
  const char *t = in->target ? in->target : "";
  put_bytes (&h, t, strlen (t));
  unsigned char digest[SBX_SHA256_LEN];
  if (h.md)
    {
      unsigned int len = 0;
      EVP_DigestFinal_ex (h.md, digest, &len);
      EVP_MD_CTX_free (h.md);
    }
  else
    sbx_sha256_final (&h.plain, digest);
  sbx_hex_encode (digest, SBX_SHA256_LEN, out);
}

static int
cmp_name (const void *a, const void *b)
{
  const char *x = *(char *const *) a, *y = *(char *const *) b;
  size_t xl = strcspn (x, "="), yl = strcspn (y, "=");
  int c = memcmp (x, y, xl < yl ? xl : yl);
  if (c)
    return c;
  return xl < yl ? -1 : xl > yl;
}

char **
devenv_build_args_normalize (char *const *a, char *const *b)
{
  char **v = xcalloc (1, sizeof *v);
  char *const *lists[2] = { a, b };
  for (int l = 0; l < 2; l++)
    for (char *const *p = lists[l]; p && *p; p++)
      {
        size_t kl = strcspn (*p, "=");
        /* A later one of the same name replaces an earlier one. */
        size_t n = strv_len (v), i;
        for (i = 0; i < n; i++)
          if (strncmp (v[i], *p, kl) == 0 && (v[i][kl] == '=' || v[i][kl] == '\0'))
            break;
        if (i < n)
          {
            free (v[i]);
            v[i] = xstrdup (*p);
          }
        else
          strv_append (&v, *p);
      }
  qsort (v, strv_len (v), sizeof *v, cmp_name);
  return v;
}
