/* lazylib.h: libraries loaded on first use (dlopen).  libcurl, libarchive
   and libcrypto pull in dozens of shared objects whose loading costs several
   milliseconds at every start; sbx loads them only when a command needs
   them, so that `sbx run` and the agent exec path start as fast as a plain
   program.  The forwarding definitions (curl_shim.c, crypto_shim.c,
   archive_shim.c) keep every call site unchanged. */
#ifndef SBX_LAZYLIB_H
#define SBX_LAZYLIB_H

typedef struct sbx_lazylib
{
  const char *soname; /* e.g. "libcurl.so.4" */
  void *handle;
  int failed;
} sbx_lazylib;

/* The symbol, or NULL when the library or the symbol cannot be loaded. */
void *sbx_lazylib_sym (sbx_lazylib *lib, const char *name);
/* The same, but a missing symbol is fatal: the message names the library
   and the way out, then abort().  For functions only reachable after a
   constructor (curl_easy_init...) succeeded. */
void *sbx_lazylib_need (sbx_lazylib *lib, const char *name);

/* Define NAME as a forwarder to the library's NAME.  RET/PARAMS/ARGS as in a
   declaration and a call. */
#define SBX_LAZY_FORWARD(lib, ret, name, params, args)                                           \
  ret name params                                                                                \
  {                                                                                              \
    static __typeof__ (&name) fn;                                                                \
    __typeof__ (&name) f = __atomic_load_n (&fn, __ATOMIC_ACQUIRE);                              \
    if (!f)                                                                                      \
      {                                                                                          \
        f = (__typeof__ (&name)) sbx_lazylib_need (&lib, #name);                                 \
        __atomic_store_n (&fn, f, __ATOMIC_RELEASE);                                             \
      }                                                                                          \
    return f args;                                                                               \
  }

#endif
