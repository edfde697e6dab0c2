/* DOCKER_HOST parsing, API version negotiation, engine error mapping,
   durations. */
#include <criterion/criterion.h>
#include <string.h>

#include "duration.h"
#include "engine/engine.h"
#include "util.h"

Test (address, unix_default)
{
  engine_address a;
  sbx_error *err = NULL;
  cr_assert_eq (engine_address_parse (NULL, false, &a, &err), 0);
  cr_assert_eq (a.kind, ENGINE_ADDR_UNIX);
  cr_assert_str_eq (a.socket_path, "/var/run/docker.sock");
  cr_assert_str_eq (a.url_base, "http://localhost");
  engine_address_clear (&a);
  cr_assert_eq (engine_address_parse ("unix:///run/user/1000/docker.sock", false, &a, &err), 0);
  cr_assert_str_eq (a.socket_path, "/run/user/1000/docker.sock");
  engine_address_clear (&a);
}

Test (address, tcp_forms)
{
  engine_address a;
  sbx_error *err = NULL;
  cr_assert_eq (engine_address_parse ("tcp://10.0.0.5:2375", false, &a, &err), 0);
  cr_assert_eq (a.kind, ENGINE_ADDR_TCP);
  cr_assert_str_eq (a.host, "10.0.0.5");
  cr_assert_eq (a.port, 2375);
  cr_assert_str_eq (a.url_base, "http://10.0.0.5:2375");
  engine_address_clear (&a);

  cr_assert_eq (engine_address_parse ("tcp://docker.example", true, &a, &err), 0);
  cr_assert_eq (a.port, 2376, "TLS default port");
  cr_assert_str_eq (a.url_base, "https://docker.example:2376");
  engine_address_clear (&a);

  cr_assert_eq (engine_address_parse ("tcp://[::1]:2375/", false, &a, &err), 0);
  cr_assert_str_eq (a.host, "::1");
  cr_assert_str_eq (a.url_base, "http://[::1]:2375");
  engine_address_clear (&a);

  cr_assert_eq (engine_address_parse ("localhost:1234", false, &a, &err), 0);
  cr_assert_eq (a.port, 1234);
  engine_address_clear (&a);
}

Test (address, invalid)
{
  const char *bad[] = { "unix://relative.sock", "tcp://:2375", "tcp://host:99999", "tcp://host:x",
                        "ssh://user@host", "tcp://host:2375/path", "npipe:////./pipe/docker" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      engine_address a;
      sbx_error *err = NULL;
      cr_assert_eq (engine_address_parse (bad[i], false, &a, &err), -1, "%s accepted", bad[i]);
      cr_assert_eq (err->code, SBX_ERR_INVALID);
      cr_assert (strstr (err->msg, bad[i]) != NULL, "message names the address: %s", err->msg);
      sbx_error_free (err);
    }
}

Test (version, compare)
{
  cr_assert_lt (engine_version_compare ("1.41", "1.43"), 0);
  cr_assert_gt (engine_version_compare ("1.9", "1.10") * -1, 0);
  cr_assert_eq (engine_version_compare ("1.41", "1.41"), 0);
  cr_assert_gt (engine_version_compare ("2.0", "1.99"), 0);
}

Test (version, negotiate)
{
  char *v = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (engine_version_negotiate ("1.41", NULL, &v, &err), 0);
  cr_assert_str_eq (v, "1.41");
  free (v);
  cr_assert_eq (engine_version_negotiate ("1.45", NULL, &v, &err), 0);
  cr_assert_str_eq (v, ENGINE_API_MAX, "capped at the newest version sbx knows");
  free (v);
  cr_assert_eq (engine_version_negotiate ("1.40", NULL, &v, &err), -1, "older than 1.41");
  cr_assert (strstr (err->msg, "1.40") != NULL);
  sbx_error_freep (&err);
  cr_assert_eq (engine_version_negotiate ("garbage", NULL, &v, &err), -1);
  sbx_error_freep (&err);
}

Test (version, env_override)
{
  char *v = NULL;
  sbx_error *err = NULL;
  cr_assert_eq (engine_version_negotiate ("1.41", "1.42", &v, &err), 0);
  cr_assert_str_eq (v, "1.42", "DOCKER_API_VERSION wins");
  free (v);
  cr_assert_eq (engine_version_negotiate (NULL, "v1.41", &v, &err), 0);
  cr_assert_str_eq (v, "1.41");
  free (v);
  cr_assert_eq (engine_version_negotiate ("1.41", "1.24", &v, &err), -1);
  cr_assert (strstr (err->msg, "DOCKER_API_VERSION") != NULL);
  sbx_error_freep (&err);
  cr_assert_eq (engine_version_negotiate ("1.41", "latest", &v, &err), -1);
  sbx_error_freep (&err);
}

Test (errors, engine_message_and_status)
{
  sbx_error *err = NULL;
  const char body[] = "{\"message\":\"No such image: nope:latest\"}\n";
  engine_error_from_response (404, body, sizeof body - 1, &err);
  cr_assert_eq (err->code, SBX_ERR_NOT_FOUND);
  cr_assert_eq (err->http_status, 404);
  cr_assert_str_eq (err->msg, "engine: No such image: nope:latest (HTTP 404)");
  sbx_error_freep (&err);

  const char conflict[] = "{\"message\":\"Conflict. The container name \\\"/x\\\" is already in use\"}";
  engine_error_from_response (409, conflict, sizeof conflict - 1, &err);
  cr_assert_eq (err->code, SBX_ERR_CONFLICT);
  cr_assert (strstr (err->msg, "already in use") != NULL);
  sbx_error_freep (&err);

  const char html[] = "<html>bad gateway\n</html>";
  engine_error_from_response (502, html, sizeof html - 1, &err);
  cr_assert_eq (err->code, SBX_ERR_ENGINE);
  cr_assert_str_eq (err->msg, "engine: <html>bad gateway </html> (HTTP 502)");
  sbx_error_freep (&err);

  engine_error_from_response (500, NULL, 0, &err);
  cr_assert_str_eq (err->msg, "engine: no message (HTTP 500)");
  sbx_error_freep (&err);
}

Test (errors, exec_on_a_container_going_away_is_a_conflict)
{
  sbx_error *err = NULL;
  const char removing[] = "{\"message\":\"Container 6e97a288 is not running: Removal In Progress\"}";
  engine_error_from_response (500, removing, sizeof removing - 1, &err);
  cr_assert_eq (engine_exec_error (&err), -1);
  cr_assert_eq (err->code, SBX_ERR_CONFLICT, "a retry finds the new container");
  cr_assert_eq (err->http_status, 500);
  sbx_error_freep (&err);

  const char other[] = "{\"message\":\"OCI runtime exec failed\"}";
  engine_error_from_response (500, other, sizeof other - 1, &err);
  engine_exec_error (&err);
  cr_assert_eq (err->code, SBX_ERR_ENGINE);
  sbx_error_freep (&err);
}

Test (errors, prefix_and_errno)
{
  sbx_error *err = NULL;
  cr_assert_eq (sbx_fail_errno (&err, ENOENT, "opening %s", "/x"), -1);
  cr_assert_str_eq (err->msg, "opening /x: No such file or directory");
  sbx_error_prefix (&err, "loading config");
  cr_assert_str_eq (err->msg, "loading config: opening /x: No such file or directory");
  /* A second failure does not overwrite the first. */
  sbx_fail (&err, SBX_ERR_GENERIC, "later");
  cr_assert (strstr (err->msg, "opening /x") != NULL);
  sbx_error_freep (&err);
}

Test (duration, parse)
{
  long ms;
  sbx_error *err = NULL;
  cr_assert_eq (sbx_parse_duration ("1s", &ms, &err), 0);
  cr_assert_eq (ms, 1000);
  cr_assert_eq (sbx_parse_duration ("1.5s", &ms, &err), 0);
  cr_assert_eq (ms, 1500);
  cr_assert_eq (sbx_parse_duration ("200ms", &ms, &err), 0);
  cr_assert_eq (ms, 200);
  cr_assert_eq (sbx_parse_duration ("2m", &ms, &err), 0);
  cr_assert_eq (ms, 120000);
  cr_assert_eq (sbx_parse_duration ("3", &ms, &err), 0);
  cr_assert_eq (ms, 3000);
  const char *bad[] = { "", "s", "-1s", "1x", "abc", "1e300s" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      cr_assert_eq (sbx_parse_duration (bad[i], &ms, &err), -1, "'%s' accepted", bad[i]);
      sbx_error_freep (&err);
    }
}

Test (urlencode, filters)
{
  _cleanup_free_ char *e = engine_urlencode ("a b/c=d");
  cr_assert_str_eq (e, "a%20b%2Fc%3Dd");
  _cleanup_free_ char *f = engine_label_filter ("dev.sbx.managed=true");
  cr_assert_str_eq (f, "%7B%22label%22%3A%5B%22dev.sbx.managed%3Dtrue%22%5D%7D");
}
