/* test_trust.c: the trust store (sbx trust): where it is, its modes, what
   it records, revocation, and a store that is not believed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "sha256.h"
#include "trust.h"
#include "testutil.h"
#include "util.h"

static char *base, *project, *state;

static void
put (const char *path, const char *text)
{
  tu_write_file ("", path + 1, text);
}

static void
setup (void)
{
  char tmpl[] = "/tmp/sbx-trust-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  base = xstrdup (tmpl);
  project = xasprintf ("%s/project", base);
  state = xasprintf ("%s/state", base);
  mkdir (project, 0755);
  setenv ("XDG_STATE_HOME", state, 1);
  setenv ("HOME", base, 1);
}

static void
teardown (void)
{
  _cleanup_free_ char *cmd = xasprintf ("rm -rf '%s'", base);
  (void) !system (cmd);
  free (base);
  free (project);
  free (state);
}

TestSuite (trust, .init = setup, .fini = teardown);

static bool
check (const char *rel, const char *content)
{
  _cleanup_free_ char *p = xasprintf ("%s/%s", project, rel);
  return sbx_trust_check (p, content, strlen (content));
}

Test (trust, records_each_file_with_modes)
{
  _cleanup_free_ char *a = xasprintf ("%s/.sbx/config.json", project);
  _cleanup_free_ char *b = xasprintf ("%s/.devcontainer/devcontainer.json", project);
  put (a, "{\"allow_network\": true}");
  put (b, "{\"build\": {\"dockerfile\": \"Dockerfile\"}}");
  cr_expect_not (check (".sbx/config.json", "{\"allow_network\": true}"));
  sbx_trust_entry *e = NULL;
  size_t n = 0;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_trust_project (project, &e, &n, &err), 0, "%s", err ? err->msg : "");
  cr_expect_eq (n, 2);
  cr_expect_str_eq (e[0].path, a);
  sbx_trust_entries_free (e, n);
  cr_expect (check (".sbx/config.json", "{\"allow_network\": true}"));
  cr_expect (
      check (".devcontainer/devcontainer.json", "{\"build\": {\"dockerfile\": \"Dockerfile\"}}"));
  cr_expect_not (check (".sbx/config.json", "{\"allow_network\": false}"), "other content");
  cr_expect_not (check (".devcontainer.json", "{\"allow_network\": true}"), "other file");

  struct stat st;
  _cleanup_free_ char *dir = xasprintf ("%s/sbx", state);
  _cleanup_free_ char *file = xasprintf ("%s/sbx/trust", state);
  cr_assert_eq (stat (dir, &st), 0);
  cr_expect_eq (st.st_mode & 07777, 0700);
  cr_assert_eq (stat (file, &st), 0);
  cr_expect_eq (st.st_mode & 07777, 0600);
  _cleanup_free_ char *path = NULL;
  cr_assert_eq (sbx_trust_store_path (&path, NULL), 0);
  cr_expect_str_eq (path, file);

  /* A changed file shows as changed, a removed one as missing. */
  put (a, "{\"allow_network\": false}");
  unlink (b);
  cr_assert_eq (sbx_trust_list (&e, &n, NULL), 0);
  cr_assert_eq (n, 2);
  cr_expect_eq (e[0].state, SBX_TRUST_CHANGED);
  cr_expect_eq (e[1].state, SBX_TRUST_MISSING);
  sbx_trust_entries_free (e, n);

  /* Trusting again replaces the project's entries. */
  cr_assert_eq (sbx_trust_project (project, &e, &n, NULL), 0);
  cr_expect_eq (n, 1);
  sbx_trust_entries_free (e, n);
  cr_assert_eq (sbx_trust_list (&e, &n, NULL), 0);
  cr_expect_eq (n, 1);
  cr_expect_eq (e[0].state, SBX_TRUST_OK);
  sbx_trust_entries_free (e, n);

  size_t removed = 0;
  cr_assert_eq (sbx_trust_revoke (project, &removed, NULL), 0);
  cr_expect_eq (removed, 1);
  cr_expect_not (check (".sbx/config.json", "{\"allow_network\": false}"));
}

Test (trust, nothing_to_trust)
{
  _cleanup_free_ char *d = xasprintf ("%s/.sbx", project);
  mkdir (d, 0755);
  sbx_trust_entry *e = NULL;
  size_t n = 7;
  cr_assert_eq (sbx_trust_project (project, &e, &n, NULL), 0);
  cr_expect_eq (n, 0);
  sbx_trust_entries_free (e, n);
}

Test (trust, default_is_local_state)
{
  unsetenv ("XDG_STATE_HOME");
  _cleanup_free_ char *path = NULL;
  cr_assert_eq (sbx_trust_store_path (&path, NULL), 0);
  _cleanup_free_ char *want = xasprintf ("%s/.local/state/sbx/trust", base);
  cr_expect_str_eq (path, want);
}

Test (trust, a_store_others_may_write_is_not_believed)
{
  _cleanup_free_ char *a = xasprintf ("%s/.sbx/config.json", project);
  put (a, "{}");
  sbx_trust_entry *e = NULL;
  size_t n = 0;
  cr_assert_eq (sbx_trust_project (project, &e, &n, NULL), 0);
  sbx_trust_entries_free (e, n);
  cr_expect (check (".sbx/config.json", "{}"));
  _cleanup_free_ char *file = xasprintf ("%s/sbx/trust", state);
  cr_assert_eq (chmod (file, 0666), 0);
  cr_expect_not (check (".sbx/config.json", "{}"));
  sbx_error *err = NULL;
  cr_expect_eq (sbx_trust_list (&e, &n, &err), -1);
  cr_expect_not_null (err && strstr (err->msg, "trust store"));
  sbx_error_free (err);
}

Test (trust, sha256_matches_libcrypto)
{
  /* sbx_sha256_hex (plain C, what trust records) against libcrypto's. */
  size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 100000 };
  unsigned char *buf = xmalloc (100000);
  for (size_t i = 0; i < 100000; i++)
    buf[i] = (unsigned char) (i * 131 + 7);
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
    {
      char a[65], b[65];
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int mdlen = 0;
      cr_assert (EVP_Digest (buf, lens[i], md, &mdlen, EVP_sha256 (), NULL));
      sbx_hex_encode (md, mdlen, a);
      sbx_sha256_hex (buf, lens[i], b);
      cr_expect_str_eq (a, b, "length %zu", lens[i]);
    }
  char e[65];
  sbx_sha256_hex ("abc", 3, e);
  cr_expect_str_eq (e, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  free (buf);
}
