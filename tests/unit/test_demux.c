/* The multiplexed-stream demuxer: frames split at every byte offset,
   zero-length frames, stream types, malformed headers. */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/engine.h"
#include "util.h"

typedef struct sink
{
  char out[4096], err[4096];
  size_t out_len, err_len;
  int calls;
} sink;

static int
collect (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  sink *s = ud;
  s->calls++;
  if (stream == 1)
    {
      memcpy (s->out + s->out_len, data, len);
      s->out_len += len;
    }
  else
    {
      memcpy (s->err + s->err_len, data, len);
      s->err_len += len;
    }
  return 0;
}

static size_t
frame (char *buf, int type, const char *payload, size_t n)
{
  buf[0] = (char) type;
  buf[1] = buf[2] = buf[3] = 0;
  buf[4] = (char) (n >> 24);
  buf[5] = (char) (n >> 16);
  buf[6] = (char) (n >> 8);
  buf[7] = (char) n;
  memcpy (buf + 8, payload, n);
  return 8 + n;
}

/* stdout "hello ", stderr "oops\n", an empty frame, stdin-typed "x", stdout "world\n" */
static size_t
sample (char *buf)
{
  size_t n = 0;
  n += frame (buf + n, 1, "hello ", 6);
  n += frame (buf + n, 2, "oops\n", 5);
  n += frame (buf + n, 1, "", 0);
  n += frame (buf + n, 0, "x", 1);
  n += frame (buf + n, 1, "world\n", 6);
  return n;
}

Test (demux, whole_buffer)
{
  char buf[256];
  size_t n = sample (buf);
  sink s = { 0 };
  engine_demux d;
  sbx_error *err = NULL;
  engine_demux_init (&d, collect, &s);
  cr_assert_eq (engine_demux_feed (&d, buf, n, &err), 0);
  cr_assert_eq (engine_demux_finish (&d, &err), 0);
  cr_assert_eq (s.out_len, 13);
  cr_assert_arr_eq (s.out, "hello xworld\n", 13);
  cr_assert_eq (s.err_len, 5);
  cr_assert_arr_eq (s.err, "oops\n", 5);
}

Test (demux, split_at_every_offset)
{
  char buf[256];
  size_t n = sample (buf);
  for (size_t a = 0; a <= n; a++)
    for (size_t b = a; b <= n; b++)
      {
        sink s = { 0 };
        engine_demux d;
        sbx_error *err = NULL;
        engine_demux_init (&d, collect, &s);
        cr_assert_eq (engine_demux_feed (&d, buf, a, &err), 0);
        cr_assert_eq (engine_demux_feed (&d, buf + a, b - a, &err), 0);
        cr_assert_eq (engine_demux_feed (&d, buf + b, n - b, &err), 0);
        cr_assert_eq (engine_demux_finish (&d, &err), 0, "split %zu/%zu", a, b);
        cr_assert_eq (s.out_len, 13, "split %zu/%zu", a, b);
        cr_assert_arr_eq (s.out, "hello xworld\n", 13);
        cr_assert_eq (s.err_len, 5);
        cr_assert_arr_eq (s.err, "oops\n", 5);
      }
}

Test (demux, byte_by_byte)
{
  char buf[256];
  size_t n = sample (buf);
  sink s = { 0 };
  engine_demux d;
  sbx_error *err = NULL;
  engine_demux_init (&d, collect, &s);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq (engine_demux_feed (&d, buf + i, 1, &err), 0);
  cr_assert_eq (engine_demux_finish (&d, &err), 0);
  cr_assert_arr_eq (s.out, "hello xworld\n", 13);
}

Test (demux, garbage_header_is_an_error)
{
  static const char junk[] = "HTTP/1.1 500 oops\r\n";
  sink s = { 0 };
  engine_demux d;
  sbx_error *err = NULL;
  engine_demux_init (&d, collect, &s);
  cr_assert_eq (engine_demux_feed (&d, junk, sizeof junk - 1, &err), -1);
  cr_assert_not_null (err);
  cr_assert (strstr (err->msg, "malformed") != NULL, "%s", err->msg);
  cr_assert_eq (s.calls, 0);
  sbx_error_free (err);

  char bad[8] = { 3, 0, 0, 0, 0, 0, 0, 1 }; /* stream type 3 does not exist */
  err = NULL;
  engine_demux_init (&d, collect, &s);
  cr_assert_eq (engine_demux_feed (&d, bad, 8, &err), -1);
  sbx_error_free (err);
}

Test (demux, truncated_frame_is_an_error)
{
  char buf[64];
  size_t n = frame (buf, 1, "abcdef", 6);
  sink s = { 0 };
  engine_demux d;
  sbx_error *err = NULL;
  engine_demux_init (&d, collect, &s);
  cr_assert_eq (engine_demux_feed (&d, buf, n - 2, &err), 0);
  cr_assert_eq (engine_demux_finish (&d, &err), -1);
  cr_assert (strstr (err->msg, "middle of a frame") != NULL);
  sbx_error_free (err);
}

static int
fail_cb (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  return sbx_fail (err, SBX_ERR_IO, "consumer gone");
}

Test (demux, callback_error_stops)
{
  char buf[64];
  size_t n = frame (buf, 1, "abc", 3);
  engine_demux d;
  sbx_error *err = NULL;
  engine_demux_init (&d, fail_cb, NULL);
  cr_assert_eq (engine_demux_feed (&d, buf, n, &err), -1);
  cr_assert_str_eq (err->msg, "consumer gone");
  sbx_error_free (err);
}

static int
count_only (int stream, const char *data, size_t len, void *ud, sbx_error **err)
{
  *(size_t *) ud += len;
  return 0;
}

Test (demux, large_frame_is_not_buffered)
{
  /* A 1 MiB frame fed in 4 KiB pieces: the payload arrives as it comes. */
  size_t size = 1 << 20, got = 0;
  char hdr[8] = { 1, 0, 0, 0, (char) (size >> 24), (char) (size >> 16), (char) (size >> 8),
                  (char) size };
  engine_demux d;
  sbx_error *err = NULL;
  engine_demux_init (&d, count_only, &got);
  cr_assert_eq (engine_demux_feed (&d, hdr, 8, &err), 0);
  char piece[4096] = { 0 };
  for (size_t i = 0; i < size / sizeof piece; i++)
    {
      cr_assert_eq (engine_demux_feed (&d, piece, sizeof piece, &err), 0);
      cr_assert_eq (got, (i + 1) * sizeof piece);
    }
  cr_assert_eq (engine_demux_finish (&d, &err), 0);
}
