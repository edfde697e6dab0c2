/* frame.h: the frame codec of the sbx-agent protocol, shared by the agent
   (static, libc only) and sbx's client.  Pure: no allocation, no I/O.

   A frame is an 8-byte header and a payload:

     offset 0  'S' 'X'        magic
            2  version        SBX_FRAME_VERSION
            3  type           enum sbx_frame_type
            4  length         payload bytes, big-endian u32, <= SBX_FRAME_MAX

   Integers in payloads are big-endian.  EXEC's payload is a list of fields
   (u8 tag, u32 length, bytes).  docs/agent-protocol.md has the whole
   conversation. */
#ifndef SBX_AGENT_FRAME_H
#define SBX_AGENT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define SBX_FRAME_MAGIC0 'S'
#define SBX_FRAME_MAGIC1 'X'
#define SBX_FRAME_VERSION 1
#define SBX_FRAME_HEADER 8
#define SBX_FRAME_MAX 65536 /* largest payload */

enum sbx_frame_type
{
  /* client -> agent */
  SBX_FRAME_PING = 0x01,   /* empty; answered by STATUS */
  SBX_FRAME_EXEC = 0x02,   /* fields (SBX_EXEC_*); answered by STARTED or ERROR */
  SBX_FRAME_STDIN = 0x03,  /* data for the command's stdin; empty: end of input */
  SBX_FRAME_RESIZE = 0x04, /* u16 rows, u16 cols (TTY only) */
  SBX_FRAME_KILL = 0x05,   /* empty: kill the command and all it started */
  SBX_FRAME_RETIRE = 0x06, /* empty: accept no more EXEC; answered by STATUS */
  SBX_FRAME_SIGNAL = 0x07, /* u32 signal number: sent to the command's process group */
  /* agent -> client */
  SBX_FRAME_STATUS = 0x81,  /* u8 version, u8 flags (SBX_STATUS_*), u16 0, u32 running, tag */
  SBX_FRAME_STARTED = 0x82, /* u32 pid (as the container sees it) */
  SBX_FRAME_STDOUT = 0x83,  /* data */
  SBX_FRAME_STDERR = 0x84,  /* data */
  SBX_FRAME_EXIT = 0x85,    /* u8 kind (SBX_EXIT_*), u8 flags, u16 0, i32 code or signal */
  SBX_FRAME_ERROR = 0x86,   /* u32 code (SBX_AGENT_E*), message; the command did not start */
};

/* EXEC fields. */
enum sbx_exec_field
{
  SBX_EXEC_ARG = 1,     /* one argv element (repeated, at least one) */
  SBX_EXEC_ENV = 2,     /* one "K=V" (repeated): set over the agent's environment */
  SBX_EXEC_CWD = 3,     /* absolute working directory */
  SBX_EXEC_TIMEOUT = 4, /* u32 milliseconds; the agent kills the command when it expires */
  SBX_EXEC_TTY = 5,     /* u16 rows, u16 cols: run on a new pseudo-terminal */
  SBX_EXEC_STDIN = 6,   /* empty: stdin comes in STDIN frames (else /dev/null) */
};

#define SBX_STATUS_RETIRED 0x01

#define SBX_EXIT_EXITED 0
#define SBX_EXIT_SIGNALED 1
#define SBX_EXIT_F_TIMEOUT 0x01 /* killed: its timeout expired */
#define SBX_EXIT_F_KILLED 0x02  /* killed: the client asked (KILL) */

enum sbx_agent_error
{
  SBX_AGENT_EPROTO = 1,   /* malformed or unexpected frame */
  SBX_AGENT_EVERSION = 2, /* unknown protocol version */
  SBX_AGENT_EBUSY = 3,    /* too many commands running */
  SBX_AGENT_ERETIRED = 4, /* the container is being replaced */
  SBX_AGENT_ESPAWN = 5,   /* fork, pipe or pty failed */
};

/* Decoding results (negative: the stream is unusable). */
#define SBX_FRAME_OK 1
#define SBX_FRAME_MORE 0
#define SBX_FRAME_EMAGIC (-1)
#define SBX_FRAME_EVERSION (-2)
#define SBX_FRAME_ETOOBIG (-3)
#define SBX_FRAME_ETRUNC (-4) /* a field or value runs past its container */
#define SBX_FRAME_EFIELD (-5) /* unknown, missing or repeated field, or a bad value */

typedef struct sbx_frame
{
  uint8_t type;
  uint32_t len;
  const uint8_t *payload; /* points into the buffer given to sbx_frame_parse */
} sbx_frame;

void sbx_put_u16 (uint8_t *p, uint16_t v);
void sbx_put_u32 (uint8_t *p, uint32_t v);
uint16_t sbx_get_u16 (const uint8_t *p);
uint32_t sbx_get_u32 (const uint8_t *p);

/* Write a header for a payload of len bytes (len <= SBX_FRAME_MAX). */
void sbx_frame_header (uint8_t out[SBX_FRAME_HEADER], uint8_t type, uint32_t len);

/* Parse the first frame of buf[0..len): SBX_FRAME_OK with *f filled and
   *used its total size, SBX_FRAME_MORE when incomplete, or an error as soon
   as the header is known to be bad (after as few bytes as it takes). */
int sbx_frame_parse (const uint8_t *buf, size_t len, sbx_frame *f, size_t *used);

/* Append one field to an EXEC payload of capacity cap at *off; -1 when it
   does not fit. */
int sbx_field_put (uint8_t *buf, size_t cap, size_t *off, uint8_t tag, const void *data,
                   uint32_t len);

/* Iterate the fields of a payload: SBX_FRAME_OK (one field), SBX_FRAME_MORE
   (the end), or SBX_FRAME_ETRUNC. */
int sbx_field_next (const uint8_t *payload, size_t len, size_t *off, uint8_t *tag,
                    const uint8_t **data, uint32_t *dlen);

/* An EXEC request, checked: every field known, strings without NUL bytes,
   ENV entries contain '=', CWD absolute, numbers the right size, at least
   one ARG.  Pointers point into the payload (not NUL-terminated). */
typedef struct sbx_exec_request
{
  uint32_t argc, envc;
  const uint8_t *cwd;
  uint32_t cwd_len;
  uint32_t timeout_ms; /* 0: none */
  int tty;
  uint16_t rows, cols;
  int attach_stdin;
} sbx_exec_request;

int sbx_exec_request_parse (const uint8_t *payload, size_t len, sbx_exec_request *req);

/* Check the fixed-size payloads (RESIZE, SIGNAL, STATUS, STARTED, EXIT, ERROR):
   SBX_FRAME_OK or SBX_FRAME_EFIELD. */
int sbx_frame_check (const sbx_frame *f);

/* A short name for a decoding result, for messages. */
const char *sbx_frame_strerror (int code);

#endif
