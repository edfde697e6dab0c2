/* The response head parser and the chunked-body decoder of the hijacked
   connection (pure code, no engine). */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/hijack.h"
#include "util.h"

static long
parse (const char *s, engine_http_head *h)
{
  sbx_error *err = NULL;
  long r = engine_http_head_parse (s, strlen (s), h, &err);
  if (r < 0)
    cr_assert_not_null (err);
  sbx_error_free (err);
  return r;
}

Test (hijack, upgraded_head_with_stream_bytes)
{
  const char *s = "HTTP/1.1 101 UPGRADED\r\n"
                  "Content-Type: application/vnd.docker.raw-stream\r\n"
                  "Connection: Upgrade\r\n"
                  "Upgrade: tcp\r\n"
                  "\r\n"
                  "/ # ";
  engine_http_head h;
  long n = parse (s, &h);
  cr_assert_eq (n, (long) (strlen (s) - 4), "the stream bytes are not part of the head");
  cr_assert_eq (h.status, 101);
  cr_assert (h.upgraded);
  cr_assert_not (h.chunked);
  cr_assert_eq (h.content_length, -1);
  cr_assert_str_eq (h.content_type, "application/vnd.docker.raw-stream");
}

Test (hijack, partial_heads_need_more)
{
  const char *s = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n";
  engine_http_head h;
  for (size_t i = 0; i < strlen (s); i++)
    {
      sbx_error *err = NULL;
      cr_assert_eq (engine_http_head_parse (s, i, &h, &err), 0, "prefix of %zu bytes", i);
      cr_assert_null (err);
    }
  cr_assert_eq (parse (s, &h), (long) strlen (s));
  cr_assert_eq (h.status, 200);
  cr_assert_not (h.upgraded);
}

Test (hijack, error_head)
{
  const char *s = "HTTP/1.1 404 Not Found\r\n"
                  "content-type: application/json\r\n"
                  "content-length: 40\r\n"
                  "\r\n";
  engine_http_head h;
  cr_assert_eq (parse (s, &h), (long) strlen (s));
  cr_assert_eq (h.status, 404);
  cr_assert_eq (h.content_length, 40, "header names are case-insensitive");
  cr_assert_str_eq (h.content_type, "application/json");

  const char *c = "HTTP/1.1 409 Conflict\nTransfer-Encoding: chunked\n\n";
  cr_assert_eq (parse (c, &h), (long) strlen (c), "bare LF line ends");
  cr_assert_eq (h.status, 409);
  cr_assert (h.chunked);
}

Test (hijack, not_http)
{
  engine_http_head h;
  cr_assert_eq (parse ("SSH-2.0-OpenSSH\r\n\r\n", &h), -1);
  cr_assert_eq (parse ("HTTP/1.1 abc\r\n\r\n", &h), -1);
  cr_assert_eq (parse ("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", &h), -1);
  cr_assert_eq (parse ("XY", &h), -1, "a wrong prefix fails early");
}

Test (hijack, dechunk)
{
  char a[] = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  size_t n = engine_http_dechunk (a, strlen (a));
  cr_assert_eq (n, 11);
  cr_assert_eq (memcmp (a, "hello world", 11), 0);

  char b[] = "1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n3\r\nab"; /* cut short */
  n = engine_http_dechunk (b, strlen (b));
  cr_assert_eq (n, 26);
  cr_assert_eq (memcmp (b, "abcdefghijklmnopqrstuvwxyz", 26), 0);

  char c[] = "zz\r\n";
  cr_assert_eq (engine_http_dechunk (c, strlen (c)), 0);
}
