/* frame.c: the frame codec of the sbx-agent protocol (see frame.h). */
#include "agent/frame.h"

#include <string.h>

void
sbx_put_u16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

void
sbx_put_u32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) (v >> 24);
  p[1] = (uint8_t) (v >> 16);
  p[2] = (uint8_t) (v >> 8);
  p[3] = (uint8_t) v;
}

uint16_t
sbx_get_u16 (const uint8_t *p)
{
  return (uint16_t) ((p[0] << 8) | p[1]);
}

uint32_t
sbx_get_u32 (const uint8_t *p)
{
  return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

void
sbx_frame_header (uint8_t out[SBX_FRAME_HEADER], uint8_t type, uint32_t len)
{
  out[0] = SBX_FRAME_MAGIC0;
  out[1] = SBX_FRAME_MAGIC1;
  out[2] = SBX_FRAME_VERSION;
  out[3] = type;
  sbx_put_u32 (out + 4, len);
}

int
sbx_frame_parse (const uint8_t *buf, size_t len, sbx_frame *f, size_t *used)
{
  if (len >= 1 && buf[0] != SBX_FRAME_MAGIC0)
    return SBX_FRAME_EMAGIC;
  if (len >= 2 && buf[1] != SBX_FRAME_MAGIC1)
    return SBX_FRAME_EMAGIC;
  if (len >= 3 && buf[2] != SBX_FRAME_VERSION)
    return SBX_FRAME_EVERSION;
  if (len < SBX_FRAME_HEADER)
    return SBX_FRAME_MORE;
  uint32_t plen = sbx_get_u32 (buf + 4);
  if (plen > SBX_FRAME_MAX)
    return SBX_FRAME_ETOOBIG;
  if (len - SBX_FRAME_HEADER < plen)
    return SBX_FRAME_MORE;
  f->type = buf[3];
  f->len = plen;
  f->payload = buf + SBX_FRAME_HEADER;
  *used = SBX_FRAME_HEADER + (size_t) plen;
  return SBX_FRAME_OK;
}

int
sbx_field_put (uint8_t *buf, size_t cap, size_t *off, uint8_t tag, const void *data, uint32_t len)
{
  if (*off > cap || cap - *off < 5 || cap - *off - 5 < len)
    return -1;
  buf[*off] = tag;
  sbx_put_u32 (buf + *off + 1, len);
  if (len)
    memcpy (buf + *off + 5, data, len);
  *off += 5 + (size_t) len;
  return 0;
}

int
sbx_field_next (const uint8_t *payload, size_t len, size_t *off, uint8_t *tag,
                const uint8_t **data, uint32_t *dlen)
{
  if (*off >= len)
    return SBX_FRAME_MORE;
  if (len - *off < 5)
    return SBX_FRAME_ETRUNC;
  uint32_t n = sbx_get_u32 (payload + *off + 1);
  if (len - *off - 5 < n)
    return SBX_FRAME_ETRUNC;
  *tag = payload[*off];
  *data = payload + *off + 5;
  *dlen = n;
  *off += 5 + (size_t) n;
  return SBX_FRAME_OK;
}

static int
has_nul (const uint8_t *p, uint32_t n)
{
  return n && memchr (p, 0, n) != NULL;
}

int
sbx_exec_request_parse (const uint8_t *payload, size_t len, sbx_exec_request *req)
{
  memset (req, 0, sizeof *req);
  size_t off = 0;
  uint8_t tag;
  const uint8_t *d;
  uint32_t n;
  int r, seen_timeout = 0;
  while ((r = sbx_field_next (payload, len, &off, &tag, &d, &n)) == SBX_FRAME_OK)
    switch (tag)
      {
      case SBX_EXEC_ARG:
        if (has_nul (d, n) || (req->argc == 0 && n == 0))
          return SBX_FRAME_EFIELD;
        req->argc++;
        break;
      case SBX_EXEC_ENV:
        if (n == 0 || has_nul (d, n) || d[0] == '=' || memchr (d, '=', n) == NULL)
          return SBX_FRAME_EFIELD;
        req->envc++;
        break;
      case SBX_EXEC_CWD:
        if (req->cwd || n == 0 || d[0] != '/' || has_nul (d, n))
          return SBX_FRAME_EFIELD;
        req->cwd = d;
        req->cwd_len = n;
        break;
      case SBX_EXEC_TIMEOUT:
        if (seen_timeout || n != 4)
          return SBX_FRAME_EFIELD;
        seen_timeout = 1;
        req->timeout_ms = sbx_get_u32 (d);
        break;
      case SBX_EXEC_TTY:
        if (req->tty || n != 4)
          return SBX_FRAME_EFIELD;
        req->tty = 1;
        req->rows = sbx_get_u16 (d);
        req->cols = sbx_get_u16 (d + 2);
        break;
      case SBX_EXEC_STDIN:
        if (req->attach_stdin || n != 0)
          return SBX_FRAME_EFIELD;
        req->attach_stdin = 1;
        break;
      default:
        return SBX_FRAME_EFIELD;
      }
  if (r != SBX_FRAME_MORE)
    return r;
  if (req->argc == 0)
    return SBX_FRAME_EFIELD;
  return SBX_FRAME_OK;
}

int
sbx_frame_check (const sbx_frame *f)
{
  switch (f->type)
    {
    case SBX_FRAME_PING:
    case SBX_FRAME_KILL:
    case SBX_FRAME_RETIRE:
      return f->len == 0 ? SBX_FRAME_OK : SBX_FRAME_EFIELD;
    case SBX_FRAME_RESIZE:
    case SBX_FRAME_STARTED:
      return f->len == 4 ? SBX_FRAME_OK : SBX_FRAME_EFIELD;
    case SBX_FRAME_SIGNAL:
      if (f->len != 4 || sbx_get_u32 (f->payload) == 0 || sbx_get_u32 (f->payload) >= 65)
        return SBX_FRAME_EFIELD;
      return SBX_FRAME_OK;
    case SBX_FRAME_STATUS:
      return f->len >= 8 && !has_nul (f->payload + 8, f->len - 8) ? SBX_FRAME_OK : SBX_FRAME_EFIELD;
    case SBX_FRAME_EXIT:
      if (f->len != 8 || f->payload[0] > SBX_EXIT_SIGNALED)
        return SBX_FRAME_EFIELD;
      return SBX_FRAME_OK;
    case SBX_FRAME_ERROR:
      return f->len >= 4 ? SBX_FRAME_OK : SBX_FRAME_EFIELD;
    case SBX_FRAME_EXEC:
    case SBX_FRAME_STDIN:
    case SBX_FRAME_STDOUT:
    case SBX_FRAME_STDERR:
      return SBX_FRAME_OK;
    default:
      return SBX_FRAME_EFIELD;
    }
}

const char *
sbx_frame_strerror (int code)
{
  switch (code)
    {
    case SBX_FRAME_OK:
      return "ok";
    case SBX_FRAME_MORE:
      return "incomplete frame";
    case SBX_FRAME_EMAGIC:
      return "bad magic";
    case SBX_FRAME_EVERSION:
      return "unknown protocol version";
    case SBX_FRAME_ETOOBIG:
      return "frame too large";
    case SBX_FRAME_ETRUNC:
      return "truncated field";
    case SBX_FRAME_EFIELD:
      return "bad field or payload";
    default:
      return "unknown error";
    }
}
