/* envfilter.h: which variables of the caller's environment a sandboxed
   command gets.

   The rule (said in `sbx run --help`): a variable whose name looks like a
   credential is not passed unless the user names it (`--env NAME`, config
   "pass_env").  A name looks like a credential when, compared in upper case,
     - it contains TOKEN, SECRET, PASSWORD, PASSWD, PASSPHRASE, CREDENTIAL,
       PRIVATE, COOKIE, or AUTH (but not as part of AUTHOR: GIT_AUTHOR_NAME
       passes, AUTHORIZATION does not); or
     - one of its '_'-separated words is KEY or KEYS or ends in KEY (API_KEY,
       APIKEY, AWS_SECRET_ACCESS_KEY; KEYMAP passes); or
     - it starts with AWS_, AZURE_, GOOGLE_, GCP_, GCLOUD_, CLOUDSDK_, VAULT_,
       DOCKER_, SSH_, GPG_, KUBE or OP_ (1Password), or is GNUPGHOME, NETRC,
       DATABASE_URL.
   Everything else passes (PATH, HOME, LANG, LC_*, TERM, USER, SHELL, TMPDIR,
   EDITOR, CC, CFLAGS, PYTHONPATH...).

   A name the user gives may end in '*' to pass every variable with that
   prefix (pass_env: ["AWS_*"]). */
#ifndef SBX_ENVFILTER_H
#define SBX_ENVFILTER_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the variable name (up to len bytes, or up to '=' / NUL) looks like
   a credential. */
bool sbx_env_name_sensitive (const char *name, size_t len);

/* Whether name (up to len) is among the user's names (exact, or a prefix
   ending in '*'). */
bool sbx_env_name_allowed (const char *name, size_t len, char *const *allow);

/* The environment for a sandboxed command: each "K=V" of env (NULL-terminated)
   that does not look like a credential or that allow names, then each of
   extra ("K=V", which replaces a K already there).  Allocated,
   NULL-terminated.  *dropped (may be NULL): the names left out
   (allocated). */
char **sbx_env_filter (char *const *env, char *const *allow, char *const *extra, char ***dropped);

#endif
