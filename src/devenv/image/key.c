/* key.c: see key.h. */
#include "devenv/image/image.h"
#include "devenv/image/key.h"
#include "sha256.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

static void
put_u32 (EVP_MD_CTX *md, uint32_t v)
{
  unsigned char b[4] = { (unsigned char) (v >> 24), (unsigned char) (v >> 16),
                         (unsigned char) (v >> 8), (unsigned char) v };
  EVP_DigestUpdate (md, b, 4);
}

static void
put_u64 (EVP_MD_CTX *md, uint64_t v)
{
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char) (v >> (56 - 8 * i));
  EVP_DigestUpdate (md, b, 8);
}

static void
put_bytes (EVP_MD_CTX *md, const void *p, size_t n)
{
  put_u64 (md, n);
  EVP_DigestUpdate (md, p, n);
}

static void
put_tag (EVP_MD_CTX *md, char tag)
{
  EVP_DigestUpdate (md, &tag, 1);
}

void
devenv_key_compute (const devenv_key_input *in, char out[65])
{
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  if (!md || !EVP_DigestInit_ex (md, EVP_sha256 (), NULL))
    abort ();
  static const char magic[] = "sbx-devenv-key";
  EVP_DigestUpdate (md, magic, sizeof magic); /* with its NUL */
  put_u32 (md, DEVENV_KEY_VERSION);
  put_tag (md, 'D');
  put_bytes (md, in->dockerfile, in->dockerfile_len);
  for (size_t i = 0; i < in->n_entries; i++)
    {
      const devenv_entry *e = &in->entries[i];
      if (!e->keyed)
        continue;
      put_tag (md, 'E');
      put_bytes (md, e->path, strlen (e->path));
      put_u32 (md, (uint32_t) e->st.st_mode);
      EVP_DigestUpdate (md, e->digest, DEVENV_DIGEST_LEN);
    }
  for (char *const *a = in->build_args; a && *a; a++)
    {
      const char *eq = strchr (*a, '=');
      size_t kl = eq ? (size_t) (eq - *a) : strlen (*a);
      put_tag (md, 'A');
      put_bytes (md, *a, kl);
      const char *v = eq ? eq + 1 : "";
      put_bytes (md, v, strlen (v));
    }
  put_tag (md, 'T');
  const char *t = in->target ? in->target : "";
  put_bytes (md, t, strlen (t));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex (md, digest, &len);
  EVP_MD_CTX_free (md);
  sbx_hex_encode (digest, len, out);
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
