/* Engine client against the real dockerd: versions, container lifecycle,
   exec exit codes and stream separation, images, errors. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "testutil.h"
#include "util.h"

static engine_client *c;

static void
setup (void)
{
  c = tu_engine ();
}

static void
teardown (void)
{
  engine_client_free (c);
}

TestSuite (engine, .init = setup, .fini = teardown, .timeout = 120);

Test (engine, ping_negotiates_and_version)
{
  sbx_error *err = NULL;
  const char *api = NULL;
  cr_assert_eq (engine_client_api_version (c, &api, &err), 0);
  cr_assert_str_eq (api, "1.41", "this engine (20.10) speaks 1.41 at most");
  _cleanup_json_ json_t *v = NULL;
  cr_assert_eq (engine_version (c, &v, &err), 0);
  cr_assert_str_eq (json_string_value (json_object_get (v, "ApiVersion")), "1.41");
  _cleanup_json_ json_t *info = NULL;
  cr_assert_eq (engine_info (c, &info, &err), 0);
  cr_assert_not_null (json_object_get (json_object_get (info, "Runtimes"), "runc"));
  cr_assert_not_null (json_object_get (json_object_get (info, "Runtimes"), "runsc"),
                      "scripts/engine-up registers gVisor");
}

static char *
create_busybox (const char *name, json_t *host_config)
{
  json_t *cfg = json_pack ("{s:s,s:[s,s],s:{s:s}}", "Image", TU_IMAGE, "Cmd", "sleep", "300",
                           "Labels", "dev.sbx.test", "1");
  if (host_config)
    json_object_set_new (cfg, "HostConfig", host_config);
  char *id = NULL;
  sbx_error *err = NULL;
  engine_container_remove (c, name, true, NULL);
  cr_assert_eq (engine_container_create (c, name, cfg, &id, &err), 0, "%s", err ? err->msg : "");
  json_decref (cfg);
  return id;
}

Test (engine, container_lifecycle)
{
  sbx_error *err = NULL;
  _cleanup_free_ char *id = create_busybox ("sbx-test-lifecycle", NULL);
  cr_assert_eq (engine_container_start (c, id, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (engine_container_start (c, id, &err), 0, "starting twice is fine (304)");

  _cleanup_json_ json_t *ins = NULL;
  cr_assert_eq (engine_container_inspect (c, "sbx-test-lifecycle", &ins, &err), 0);
  cr_assert (json_is_true (json_object_get (json_object_get (ins, "State"), "Running")));

  _cleanup_json_ json_t *list = NULL;
  cr_assert_eq (engine_container_list (c, "dev.sbx.test=1", false, &list, &err), 0);
  bool found = false;
  size_t i;
  json_t *ct;
  json_array_foreach (list, i, ct)
    found |= strcmp (json_string_value (json_object_get (ct, "Id")), id) == 0;
  cr_assert (found, "listed by label");

  cr_assert_eq (engine_container_kill (c, id, "SIGKILL", &err), 0);
  long code = 0;
  cr_assert_eq (engine_container_wait (c, id, "not-running", &code, &err), 0);
  cr_assert_eq (code, 137);
  cr_assert_eq (engine_container_remove (c, id, false, &err), 0);
  json_decref (ins);
  ins = NULL;
  cr_assert_eq (engine_container_inspect (c, id, &ins, &err), -1);
  cr_assert_eq (err->code, SBX_ERR_NOT_FOUND);
  /* Docker says "No such container", podman "no such container". */
  cr_assert (strcasestr (err->msg, "no such container") != NULL, "%s", err->msg);
  sbx_error_free (err);
}

typedef struct out
{
  char buf[2][65536];
  size_t len[2];
} out;

static int
collect (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  out *o = ud;
  size_t room = sizeof o->buf[0] - o->len[stream - 1] - 1;
  if (len > room)
    len = room;
  memcpy (o->buf[stream - 1] + o->len[stream - 1], data, len);
  o->len[stream - 1] += len;
  return 0;
}

static int
run_exec (const char *id, char *const *cmd, out *o)
{
  sbx_error *err = NULL;
  engine_exec_config cfg = { .cmd = cmd };
  _cleanup_free_ char *eid = NULL;
  cr_assert_eq (engine_exec_create (c, id, &cfg, &eid, &err), 0, "%s", err ? err->msg : "");
  memset (o, 0, sizeof *o);
  cr_assert_eq (engine_exec_start (c, eid, collect, o, 0, &err), 0, "%s", err ? err->msg : "");
  engine_exec_state st;
  do
    cr_assert_eq (engine_exec_inspect (c, eid, &st, &err), 0);
  while (st.running);
  return st.exit_code;
}

Test (engine, exec_streams_and_exit_codes)
{
  sbx_error *err = NULL;
  _cleanup_free_ char *id = create_busybox ("sbx-test-exec", NULL);
  cr_assert_eq (engine_container_start (c, id, &err), 0);
  out o;
  char *cmd1[] = { "sh", "-c", "echo out; echo err >&2; printf 'a\\000b\\377'; exit 7", NULL };
  cr_assert_eq (run_exec (id, cmd1, &o), 7);
  cr_assert_eq (o.len[0], 8);
  cr_assert_arr_eq (o.buf[0], "out\na\0b\377", 8, "stdout byte-exact, apart from stderr");
  cr_assert_str_eq (o.buf[1], "err\n");
  char *cmd2[] = { "true", NULL };
  cr_assert_eq (run_exec (id, cmd2, &o), 0);
  char *cmd3[] = { "sh", "-c", "kill -9 $$", NULL };
  cr_assert_eq (run_exec (id, cmd3, &o), 137);
  /* Reusing one client for many requests keeps working (keep-alive). */
  for (int i = 0; i < 20; i++)
    cr_assert_eq (run_exec (id, cmd2, &o), 0);
  engine_container_remove (c, id, true, &err);
}

Test (engine, exec_timeout_returns_timeout_error)
{
  sbx_error *err = NULL;
  _cleanup_free_ char *id = create_busybox ("sbx-test-exec-timeout", NULL);
  cr_assert_eq (engine_container_start (c, id, &err), 0);
  char *cmd[] = { "sh", "-c", "echo started; sleep 30", NULL };
  engine_exec_config cfg = { .cmd = cmd };
  _cleanup_free_ char *eid = NULL;
  cr_assert_eq (engine_exec_create (c, id, &cfg, &eid, &err), 0);
  out o = { 0 };
  cr_assert_eq (engine_exec_start (c, eid, collect, &o, 500, &err), -1);
  cr_assert_eq (err->code, SBX_ERR_TIMEOUT);
  cr_assert_str_eq (o.buf[0], "started\n", "output before the deadline is delivered");
  sbx_error_freep (&err);
  engine_container_remove (c, id, true, &err);
}

Test (engine, images_inspect_tag_remove)
{
  sbx_error *err = NULL;
  _cleanup_json_ json_t *img = NULL;
  cr_assert_eq (engine_image_inspect (c, TU_IMAGE, &img, &err), 0);
  cr_assert_eq (engine_image_tag (c, TU_IMAGE, "sbx-test/tagged", "t1", &err), 0);
  _cleanup_json_ json_t *img2 = NULL;
  cr_assert_eq (engine_image_inspect (c, "sbx-test/tagged:t1", &img2, &err), 0);
  cr_assert_str_eq (json_string_value (json_object_get (img, "Id")),
                    json_string_value (json_object_get (img2, "Id")));
  cr_assert_eq (engine_image_remove (c, "sbx-test/tagged:t1", false, &err), 0);
  cr_assert_eq (engine_image_inspect (c, TU_IMAGE, &img2, &err), 0, "untag keeps the image");
  json_decref (img2);
  img2 = NULL;
  cr_assert_eq (engine_image_inspect (c, "sbx-test/tagged:t1", &img2, &err), -1);
  cr_assert_eq (err->code, SBX_ERR_NOT_FOUND);
  sbx_error_freep (&err);
}

typedef struct tarsrc
{
  const char *data;
  size_t len, off;
} tarsrc;

static ssize_t
read_tar (char *buf, size_t len, void *ud)
{
  tarsrc *t = ud;
  size_t n = t->len - t->off < len ? t->len - t->off : len;
  memcpy (buf, t->data + t->off, n);
  t->off += n;
  return (ssize_t) n;
}

Test (engine, image_import_and_list_by_label)
{
  /* A one-file tar (ustar), built by hand. */
  static char tar[3 * 512];
  memset (tar, 0, sizeof tar);
  strcpy (tar, "hello.txt");
  strcpy (tar + 100, "0000644");
  strcpy (tar + 108, "0000000");
  strcpy (tar + 116, "0000000");
  strcpy (tar + 124, "00000000006");
  strcpy (tar + 136, "00000000000");
  tar[156] = '0';
  memcpy (tar + 257, "ustar", 6);
  memcpy (tar + 263, "00", 2);
  memset (tar + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; i++)
    sum += (unsigned char) tar[i];
  snprintf (tar + 148, 8, "%06o", sum);
  memcpy (tar + 512, "hello\n", 6);
  tarsrc src = { tar, sizeof tar, 0 };
  sbx_error *err = NULL;
  _cleanup_free_ char *id = NULL;
  cr_assert_eq (engine_image_import (c, read_tar, &src, "sbx-test/imported", "v1", &id, &err), 0,
                "%s", err ? err->msg : "");
  cr_assert_not_null (id);
  cr_assert (strncmp (id, "sha256:", 7) == 0);
  _cleanup_json_ json_t *list = NULL;
  cr_assert_eq (engine_image_list (c, NULL, &list, &err), 0);
  cr_assert_gt (json_array_size (list), 0);
  _cleanup_json_ json_t *ins = NULL;
  cr_assert_eq (engine_image_inspect (c, "sbx-test/imported:v1", &ins, &err), 0,
                "tagged as asked: %s", err ? err->msg : "");
  cr_assert_eq (engine_image_remove (c, "sbx-test/imported:v1", true, &err), 0);
}

Test (engine, errors_quote_the_engine)
{
  sbx_error *err = NULL;
  json_t *cfg = json_pack ("{s:s}", "Image", "sbx-test/does-not-exist:nope");
  char *id = NULL;
  cr_assert_eq (engine_container_create (c, "sbx-test-noimage", cfg, &id, &err), -1);
  json_decref (cfg);
  cr_assert_eq (err->http_status, 404);
  cr_assert (strcasestr (err->msg, "no such image") != NULL, "%s", err->msg);
  sbx_error_freep (&err);

  _cleanup_free_ char *a = create_busybox ("sbx-test-conflict", NULL);
  cfg = json_pack ("{s:s,s:[s]}", "Image", TU_IMAGE, "Cmd", "true");
  cr_assert_eq (engine_container_create (c, "sbx-test-conflict", cfg, &id, &err), -1);
  json_decref (cfg);
  cr_assert_eq (err->code, SBX_ERR_CONFLICT, "%s", err->msg);
  cr_assert (strstr (err->msg, "already in use") != NULL, "%s", err->msg);
  /* podman answers 500 for it, Docker 409: the message quotes the status. */
  cr_assert (strstr (err->msg, tu_engine_is_podman () ? "(HTTP 500)" : "(HTTP 409)") != NULL, "%s",
             err->msg);
  sbx_error_freep (&err);
  engine_container_remove (c, a, true, NULL);
}

Test (engine, unreachable_is_fast_and_names_the_address)
{
  const char *hosts[] = { "unix:///tmp/sbx-no-such.sock", "tcp://127.0.0.1:1", "tcp://10.255.255.1:2375" };
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
    {
      engine_client *bad = NULL;
      sbx_error *err = NULL;
      cr_assert_eq (engine_client_new (hosts[i], &bad, &err), 0);
      _cleanup_json_ json_t *v = NULL;
      cr_assert_eq (engine_version (bad, &v, &err), -1);
      cr_assert_eq (err->code, SBX_ERR_UNREACHABLE, "%s", err->msg);
      cr_assert (strstr (err->msg, hosts[i]) != NULL, "names the address: %s", err->msg);
      sbx_error_free (err);
      engine_client_free (bad);
    }
}
