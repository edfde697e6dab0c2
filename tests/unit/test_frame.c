/* The sbx-agent frame codec: headers split at every byte, bad magic,
   version and sizes, fields, EXEC requests and fixed-size payloads. */
#include <criterion/criterion.h>
#include <string.h>

#include "agent/frame.h"

static size_t
make_frame (uint8_t *buf, uint8_t type, const void *payload, uint32_t len)
{
  sbx_frame_header (buf, type, len);
  memcpy (buf + SBX_FRAME_HEADER, payload, len);
  return SBX_FRAME_HEADER + len;
}

Test (frame, header_round_trip_and_every_split)
{
  uint8_t buf[64];
  size_t n = make_frame (buf, SBX_FRAME_STDOUT, "hello", 5);
  cr_assert_eq (n, 13);
  cr_assert_eq (buf[0], 'S');
  cr_assert_eq (buf[1], 'X');
  cr_assert_eq (buf[2], SBX_FRAME_VERSION);
  for (size_t cut = 0; cut < n; cut++)
    {
      sbx_frame f;
      size_t used = 99;
      cr_assert_eq (sbx_frame_parse (buf, cut, &f, &used), SBX_FRAME_MORE, "cut at %zu", cut);
    }
  sbx_frame f;
  size_t used;
  cr_assert_eq (sbx_frame_parse (buf, n, &f, &used), SBX_FRAME_OK);
  cr_assert_eq (used, n);
  cr_assert_eq (f.type, SBX_FRAME_STDOUT);
  cr_assert_eq (f.len, 5);
  cr_assert_arr_eq (f.payload, "hello", 5);
}

Test (frame, two_frames_in_one_buffer_and_zero_length)
{
  uint8_t buf[64];
  size_t n = make_frame (buf, SBX_FRAME_STDIN, "", 0);
  n += make_frame (buf + n, SBX_FRAME_STDERR, "ab", 2);
  sbx_frame f;
  size_t used;
  cr_assert_eq (sbx_frame_parse (buf, n, &f, &used), SBX_FRAME_OK);
  cr_assert_eq (f.len, 0);
  cr_assert_eq (used, SBX_FRAME_HEADER);
  cr_assert_eq (sbx_frame_parse (buf + used, n - used, &f, &used), SBX_FRAME_OK);
  cr_assert_eq (f.type, SBX_FRAME_STDERR);
  cr_assert_arr_eq (f.payload, "ab", 2);
}

Test (frame, garbage_is_rejected_early)
{
  sbx_frame f;
  size_t used;
  cr_assert_eq (sbx_frame_parse ((const uint8_t *) "G", 1, &f, &used), SBX_FRAME_EMAGIC);
  cr_assert_eq (sbx_frame_parse ((const uint8_t *) "SY", 2, &f, &used), SBX_FRAME_EMAGIC);
  cr_assert_eq (sbx_frame_parse ((const uint8_t *) "SX\x02", 3, &f, &used), SBX_FRAME_EVERSION);
  uint8_t big[8];
  sbx_frame_header (big, SBX_FRAME_STDIN, 0);
  sbx_put_u32 (big + 4, SBX_FRAME_MAX + 1);
  cr_assert_eq (sbx_frame_parse (big, 8, &f, &used), SBX_FRAME_ETOOBIG);
  sbx_put_u32 (big + 4, 0xffffffffu);
  cr_assert_eq (sbx_frame_parse (big, 8, &f, &used), SBX_FRAME_ETOOBIG);
  sbx_put_u32 (big + 4, SBX_FRAME_MAX);
  cr_assert_eq (sbx_frame_parse (big, 8, &f, &used), SBX_FRAME_MORE, "the largest frame is fine");
}

Test (frame, fields_round_trip)
{
  uint8_t buf[64];
  size_t off = 0;
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &off, SBX_EXEC_ARG, "sh", 2), 0);
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &off, SBX_EXEC_STDIN, NULL, 0), 0);
  cr_assert_eq (off, 12);
  size_t o2 = off;
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &o2, SBX_EXEC_ARG, buf, 60), -1, "does not fit");
  cr_assert_eq (o2, off);
  size_t r = 0;
  uint8_t tag;
  const uint8_t *d;
  uint32_t n;
  cr_assert_eq (sbx_field_next (buf, off, &r, &tag, &d, &n), SBX_FRAME_OK);
  cr_assert_eq (tag, SBX_EXEC_ARG);
  cr_assert_eq (n, 2);
  cr_assert_eq (sbx_field_next (buf, off, &r, &tag, &d, &n), SBX_FRAME_OK);
  cr_assert_eq (tag, SBX_EXEC_STDIN);
  cr_assert_eq (sbx_field_next (buf, off, &r, &tag, &d, &n), SBX_FRAME_MORE);
  /* A length that runs past the payload. */
  r = 0;
  cr_assert_eq (sbx_field_next (buf, off - 1, &r, &tag, &d, &n), SBX_FRAME_OK);
  cr_assert_eq (sbx_field_next (buf, off - 1, &r, &tag, &d, &n), SBX_FRAME_ETRUNC);
}

static size_t
exec_payload (uint8_t *buf, size_t cap, const char *const *args, const char *const *env,
              const char *cwd)
{
  size_t off = 0;
  for (; args && *args; args++)
    cr_assert_eq (sbx_field_put (buf, cap, &off, SBX_EXEC_ARG, *args, (uint32_t) strlen (*args)), 0);
  for (; env && *env; env++)
    cr_assert_eq (sbx_field_put (buf, cap, &off, SBX_EXEC_ENV, *env, (uint32_t) strlen (*env)), 0);
  if (cwd)
    cr_assert_eq (sbx_field_put (buf, cap, &off, SBX_EXEC_CWD, cwd, (uint32_t) strlen (cwd)), 0);
  return off;
}

Test (frame, exec_request_checked)
{
  uint8_t buf[512];
  sbx_exec_request req;
  const char *args[] = { "sh", "-c", "", NULL };
  const char *env[] = { "A=1", "B=", NULL };
  size_t n = exec_payload (buf, sizeof buf, args, env, "/work");
  uint8_t t[4];
  sbx_put_u32 (t, 1500);
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &n, SBX_EXEC_TIMEOUT, t, 4), 0);
  sbx_put_u16 (t, 30);
  sbx_put_u16 (t + 2, 100);
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &n, SBX_EXEC_TTY, t, 4), 0);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_OK);
  cr_assert_eq (req.argc, 3, "an empty argument after the first is fine");
  cr_assert_eq (req.envc, 2);
  cr_assert_eq (req.cwd_len, 5);
  cr_assert_eq (req.timeout_ms, 1500);
  cr_assert (req.tty);
  cr_assert_eq (req.rows, 30);
  cr_assert_eq (req.cols, 100);
  cr_assert_not (req.attach_stdin);

  /* Each of these is refused. */
  const char *noargs[] = { NULL };
  n = exec_payload (buf, sizeof buf, noargs, env, NULL);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "no argv");
  const char *empty0[] = { "", NULL };
  n = exec_payload (buf, sizeof buf, empty0, NULL, NULL);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "empty argv[0]");
  const char *badenv[] = { "NOEQUALS", NULL };
  n = exec_payload (buf, sizeof buf, args, badenv, NULL);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "env without =");
  const char *badenv2[] = { "=x", NULL };
  n = exec_payload (buf, sizeof buf, args, badenv2, NULL);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "env without a name");
  n = exec_payload (buf, sizeof buf, args, NULL, "relative");
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "relative cwd");
  n = exec_payload (buf, sizeof buf, args, NULL, NULL);
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &n, SBX_EXEC_ARG, "a\0b", 3), 0);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "NUL inside a string");
  n = exec_payload (buf, sizeof buf, args, NULL, NULL);
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &n, SBX_EXEC_TIMEOUT, "12", 2), 0);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "short number");
  n = exec_payload (buf, sizeof buf, args, NULL, NULL);
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &n, 99, "", 0), 0);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "unknown field");
  n = exec_payload (buf, sizeof buf, args, NULL, NULL);
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &n, SBX_EXEC_STDIN, NULL, 0), 0);
  cr_assert_eq (sbx_field_put (buf, sizeof buf, &n, SBX_EXEC_STDIN, NULL, 0), 0);
  cr_assert_eq (sbx_exec_request_parse (buf, n, &req), SBX_FRAME_EFIELD, "repeated flag");
  n = exec_payload (buf, sizeof buf, args, NULL, NULL);
  cr_assert_eq (sbx_exec_request_parse (buf, n - 1, &req), SBX_FRAME_ETRUNC, "cut short");
}

Test (frame, fixed_payloads_checked)
{
  uint8_t p[16] = { 0 };
  sbx_frame f = { .payload = p };
  f.type = SBX_FRAME_EXIT, f.len = 8;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_OK);
  p[0] = 7;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD, "unknown exit kind");
  p[0] = 0;
  f.len = 7;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD);
  f.type = SBX_FRAME_RESIZE, f.len = 4;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_OK);
  f.len = 3;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD);
  f.type = SBX_FRAME_PING, f.len = 1;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD);
  f.type = SBX_FRAME_STATUS, f.len = 8;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_OK);
  f.type = SBX_FRAME_ERROR, f.len = 3;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD);
  f.type = SBX_FRAME_SIGNAL, f.len = 4;
  sbx_put_u32 (p, 15);
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_OK);
  sbx_put_u32 (p, 0);
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD, "no signal 0");
  sbx_put_u32 (p, 65);
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD, "no signal above 64");
  f.len = 3;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD);
  f.type = 0x7f, f.len = 0;
  cr_assert_eq (sbx_frame_check (&f), SBX_FRAME_EFIELD, "unknown type");
}
