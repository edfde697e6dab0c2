/* hijack.h: a hijacked engine connection, for exec start with stdin and/or a
   TTY.  The start request is sent by hand on a connection that libcurl opened
   in CONNECT_ONLY mode (unix, tcp or TLS, as the client is configured); the
   engine answers `101 UPGRADED` (or `200` with the raw stream on older
   engines) and the connection then carries the process's stdin one way and
   its output the other: raw with a TTY, multiplexed without.  Bytes that
   arrive with the response head belong to the stream.  No policy here: what
   to do on signals or on stdin EOF is the caller's choice. */
#ifndef SBX_ENGINE_HIJACK_H
#define SBX_ENGINE_HIJACK_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "error.h"

/* ---- the response head (pure, unit-tested) ---- */

typedef struct engine_http_head
{
  int status;            /* 101, 200, 404... */
  long content_length;   /* -1 when absent */
  bool chunked;          /* Transfer-Encoding: chunked */
  bool upgraded;         /* Upgrade: tcp (or 101) */
  char content_type[96]; /* "" when absent; truncated when longer */
} engine_http_head;

/* Parse an HTTP/1.x response head at the start of buf.  Returns the length
   of the head (through the blank line) when it is complete, 0 when more
   bytes are needed, -1 (with *err) when it is not an HTTP response. */
long engine_http_head_parse (const char *buf, size_t len, engine_http_head *out, sbx_error **err);

/* Decode a chunked body in place; returns the decoded length (stops at the
   last complete chunk). */
size_t engine_http_dechunk (char *buf, size_t len);

/* ---- the connection ---- */

typedef struct engine_hijack engine_hijack;
typedef struct engine_end_watch engine_end_watch;

/* POST /exec/{id}/start with Detach false, hijacking the connection.  tty
   says whether the exec was created with Tty (raw stream) or not
   (multiplexed).  An engine answer >= 400 becomes the engine's error, as for
   engine_call; SBX_ERR_INTERRUPTED when the client's cancel flag is raised
   while waiting. */
int engine_exec_start_hijack (engine_client *c, const char *exec_id, bool tty, engine_hijack **out,
                              sbx_error **err);
/* Bytes of stdin sent to the engine so far. */
size_t engine_hijack_stdin_sent (const engine_hijack *h);
void engine_hijack_free (engine_hijack *h);
void engine_hijack_freep (engine_hijack **h);
#define _cleanup_hijack_ __attribute__ ((cleanup (engine_hijack_freep)))

/* What the pump does when in_fd reaches end of file (or a terminal hangs
   up: EIO). */
typedef enum
{
  ENGINE_EOF_HALF_CLOSE, /* shutdown(SHUT_WR): the process sees EOF on stdin */
  ENGINE_EOF_SEND_EOT,   /* send ^D (a TTY's end of file) and stop reading in_fd */
  ENGINE_EOF_STOP,       /* return ENGINE_PUMP_STDIN_EOF at once */
} engine_eof_action;

typedef enum
{
  ENGINE_PUMP_ENDED = 0,           /* the engine closed the stream: the process is done */
  ENGINE_PUMP_STOPPED = 1,         /* on_wake asked to stop */
  ENGINE_PUMP_STDIN_EOF = 2,       /* ENGINE_EOF_STOP and in_fd ended */
  ENGINE_PUMP_CONTAINER_ENDED = 3, /* end (below) fired and the stream did not end within
                                      its grace */
} engine_pump_status;

typedef struct engine_pump_opts
{
  int in_fd;  /* sent to the process; -1: nothing */
  int out_fd; /* TTY: everything; else stream 1 */
  int err_fd; /* stream 2 (no TTY) */
  /* When set, the output goes here instead of out_fd / err_fd (stream 1
     for a TTY). */
  engine_output_cb output;
  void *output_ud;
  engine_eof_action on_eof;
  /* Monotonic ms (sbx_now_ms) after which the pump fails with
     SBX_ERR_TIMEOUT; 0: none. */
  long deadline;
  /* Fail with SBX_ERR_INTERRUPTED as soon as the client's cancel flag is
     raised (else the caller learns of its signals through wake_fd). */
  bool stop_on_cancel;
  /* Instead: clear the raised flag, call on_cancel with the value it held
     (0 to go on, -1 with *err to fail) and go on. */
  int (*on_cancel) (void *ud, int value, sbx_error **err);
  /* Polled too; when readable, on_wake is called (it must drain it).  It
     returns 0 to go on, 1 to stop (ENGINE_PUMP_STOPPED), -1 with *err to fail.
     -1: none. */
  int wake_fd;
  int (*on_wake) (void *ud, sbx_error **err);
  void *ud;
  /* The container's end (engine_container_watch_end), or NULL.  Once it
     ended, the stream has end_grace_ms (0: ENGINE_END_GRACE_MS) to end
     too; then the pump returns ENGINE_PUMP_CONTAINER_ENDED.  Some runtimes
     (runsc) never close an exec's stream when its container is removed:
     without this the pump would wait for ever. */
  engine_end_watch *end;
  long end_grace_ms;
} engine_pump_opts;

#define ENGINE_END_GRACE_MS 1000L

/* Move bytes both ways until the engine closes the stream, on_wake stops
   it, or an error.  Bounded buffers: a slow out_fd slows the stream down.
   Returns an engine_pump_status (>= 0) or -1 with *err. */
int engine_hijack_pump (engine_hijack *h, const engine_pump_opts *opts, sbx_error **err);

/* ---- the end of a container ---- */

/* POST /containers/{id}/wait?condition=not-running on a connection of its
   own, not waited for: engine_end_watch_fd becomes readable when
   something comes, and engine_end_watch_check then says whether the
   container ended (stopped, removed, or the engine closed the
   connection or went away).  A signal, not a timer: it costs one idle
   connection. */
int engine_container_watch_end (engine_client *c, const char *container, engine_end_watch **out,
                                sbx_error **err);
int engine_end_watch_fd (const engine_end_watch *w);
/* Read what came (never blocks): true once the container ended. */
bool engine_end_watch_check (engine_end_watch *w);
void engine_end_watch_free (engine_end_watch *w);
void engine_end_watch_freep (engine_end_watch **w);
#define _cleanup_end_watch_ __attribute__ ((cleanup (engine_end_watch_freep)))

/* ---- exec TTY size ---- */

/* POST /exec/{id}/resize?h=rows&w=cols. */
int engine_exec_resize (engine_client *c, const char *exec_id, unsigned rows, unsigned cols,
                        sbx_error **err);

#endif
