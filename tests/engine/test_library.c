/* libsbx embedded as an agent would: only the public header, a project
   built from its Dockerfile, its container, commands, a swap. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbx.h"
#include "testutil.h"

typedef struct sink
{
  char out[4096];
  size_t n;
} sink;

static int
collect (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  sink *s = ud;
  if (stream == 1 && s->n + len < sizeof s->out)
    {
      memcpy (s->out + s->n, data, len);
      s->n += len;
    }
  return 0;
}

Test (library, embed_build_run_exec_swap, .timeout = 180)
{
  cr_assert_str_eq (sbx_version (), SBX_VERSION);
  char *dir = tu_mkproject ();
  tu_write_file (dir, "Dockerfile", "FROM " TU_IMAGE "\nCOPY msg /msg\n");
  tu_write_file (dir, "msg", "first\n");
  setenv ("SBX_AGENT", SBX_BUILD_DIR "/sbx-agent", 1);

  sbx_error *err = NULL;
  sbx_project *p = NULL;
  engine_client *c = NULL;
  sbx_config cfg;
  sbx_config_init_default (&cfg);
  cr_assert_eq (sbx_project_open (dir, 1, &p, &err), 0);
  cr_assert_eq (sbx_config_load (&cfg, p->dir, &err), 0);
  cr_assert_eq (engine_client_new (NULL, &c, &err), 0);

  /* The project container, on the image built from the Dockerfile. */
  devenv_container_req req = { .level = SBX_LEVEL_CONTAINER };
  char *id = NULL;
  cr_assert_eq (devenv_project_container (c, p, &cfg, &req, NULL, &id, &err), 0, "%s",
                err ? err->msg : "");

  char *cat[] = { "cat", "/msg", NULL };
  sink s = { .n = 0 };
  devenv_exec_opts o = { .argv = cat, .workdir = p->dir, .output = collect, .output_ud = &s };
  devenv_exec_result res;
  devenv_exec_via via;
  char *why = NULL;
  cr_assert_eq (devenv_exec_auto (c, p, id, &o, &res, &via, &why, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (res.exit_code, 0);
  cr_assert_eq (s.n, 6);
  cr_assert_arr_eq (s.out, "first\n", 6);
  free (why);

  /* The Dockerfile's input changes: stale, rebuilt, swapped. */
  tu_write_file (dir, "msg", "second\n");
  bool stale = false;
  cr_assert_eq (devenv_is_stale (c, p, NULL, &stale, &err), 0);
  cr_assert (stale);
  devenv_swap_result sw;
  char *image = NULL;
  cr_assert_eq (devenv_project_swap (c, p, &cfg, NULL, 5000, false, NULL, &sw, &image, &err), 0,
                "%s", err ? err->msg : "");
  cr_assert (sw.swapped);
  cr_assert (strncmp (image, p->image_repo, strlen (p->image_repo)) == 0, "%s", image);
  free (image);
  s.n = 0;
  cr_assert_eq (devenv_exec (c, sw.new_id, &o, &res, &err), 0, "%s", err ? err->msg : "");
  cr_assert_arr_eq (s.out, "second\n", 7);

  int removed = 0;
  cr_assert_eq (devenv_container_remove_all (c, p, &removed, &err), 0);
  cr_assert_eq (removed, 1);
  devenv_swap_result_clear (&sw);
  free (id);
  engine_client_free (c);
  sbx_config_clear (&cfg);
  sbx_project_free (p);
  tu_rmrf (dir);
  free (dir);
}
