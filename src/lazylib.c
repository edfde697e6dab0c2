/* lazylib.c: dlopen on first use. */
#include "lazylib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *
lib_handle (sbx_lazylib *lib)
{
  void *h = __atomic_load_n (&lib->handle, __ATOMIC_ACQUIRE);
  if (h || __atomic_load_n (&lib->failed, __ATOMIC_ACQUIRE))
    return h;
  /* Concurrent first uses both dlopen: the same handle, reference-counted.
     Lazy binding: of the thousands of functions these libraries and their
     dependencies import, a command calls a few; every symbol sbx itself
     uses is looked up (and checked) with dlsym. */
  h = dlopen (lib->soname, RTLD_LAZY | RTLD_GLOBAL);
  if (!h)
    __atomic_store_n (&lib->failed, 1, __ATOMIC_RELEASE);
  else
    __atomic_store_n (&lib->handle, h, __ATOMIC_RELEASE);
  return h;
}

void *
sbx_lazylib_sym (sbx_lazylib *lib, const char *name)
{
  void *h = lib_handle (lib);
  return h ? dlsym (h, name) : NULL;
}

void *
sbx_lazylib_need (sbx_lazylib *lib, const char *name)
{
  void *f = sbx_lazylib_sym (lib, name);
  if (!f)
    {
      const char *why = dlerror ();
      fprintf (stderr, "sbx: cannot load %s from %s (%s); install it (Debian: see scripts/deps)\n",
               name, lib->soname, why ? why : "not found");
      abort ();
    }
  return f;
}
