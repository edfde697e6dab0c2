/* engine.h: Docker Engine API client (API v1.41 and up).  Transport over
   libcurl (unix://, tcp://, TLS), version negotiation, JSON (jansson),
   multiplexed stream demux.  No policy here: callers build the request
   bodies. */
#ifndef SBX_ENGINE_H
#define SBX_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/types.h>
#include <jansson.h>

#include "error.h"

#define ENGINE_API_MIN "1.41"
#define ENGINE_API_MAX "1.43"
#define ENGINE_DEFAULT_HOST "unix:///var/run/docker.sock"

/* ---- address.c and api_version.c: addresses and versions (pure, unit-tested) ---- */

typedef enum
{
  ENGINE_ADDR_UNIX,
  ENGINE_ADDR_TCP,
} engine_addr_kind;

typedef struct engine_address
{
  engine_addr_kind kind;
  char *socket_path; /* unix */
  char *host;        /* tcp */
  int port;          /* tcp */
  bool tls;
  char *url_base; /* "http://localhost" or "https://host:port" */
  char *display;  /* as the user wrote it, for messages */
} engine_address;

/* Parse a DOCKER_HOST value: unix:///path, tcp://host[:port], host:port. */
int engine_address_parse (const char *host, bool tls, engine_address *out, sbx_error **err);
void engine_address_clear (engine_address *a);

/* Compare "1.41" style versions: <0, 0, >0.  Invalid strings sort lowest. */
int engine_version_compare (const char *a, const char *b);
/* The version to use: DOCKER_API_VERSION if given (validated), else
   min(server, ENGINE_API_MAX); an engine older than ENGINE_API_MIN is an
   error.  *out is allocated. */
int engine_version_negotiate (const char *server, const char *env_override, char **out,
                              sbx_error **err);

/* ---- transport.c: the client ---- */

typedef struct engine_client engine_client;

/* host NULL: $DOCKER_HOST, else ENGINE_DEFAULT_HOST.  TLS from
   $DOCKER_TLS_VERIFY / $DOCKER_CERT_PATH.  No I/O happens here. */
int engine_client_new (const char *host, engine_client **out, sbx_error **err);
void engine_client_free (engine_client *c);
void engine_client_freep (engine_client **c);
#define _cleanup_engine_ __attribute__ ((cleanup (engine_client_freep)))

const char *engine_client_address (const engine_client *c);
/* Negotiated API version (negotiates on first use). */
int engine_client_api_version (engine_client *c, const char **out, sbx_error **err);
/* GET /_ping, the handshake's first step: *api_version (may be NULL) the
   engine's Api-Version header, or NULL when it sent none. */
int engine_ping (engine_client *c, char **api_version, sbx_error **err);
/* A flag checked during every transfer: when it becomes non-zero the transfer
   is aborted with SBX_ERR_INTERRUPTED (the connection is dropped). */
void engine_client_set_cancel (engine_client *c, volatile sig_atomic_t *flag);

/* ---- generic requests ---- */

/* Receives response body bytes as they arrive; return 0 to go on, or -1 with
   *err set to abort the transfer. */
typedef int (*engine_data_cb) (const char *data, size_t len, void *ud, sbx_error **err);
/* Fills buf with up to len bytes of request body; returns the count, 0 at
   the end, or -1 on error. */
typedef ssize_t (*engine_read_cb) (char *buf, size_t len, void *ud);

typedef struct engine_request
{
  const char *method;
  const char *path;       /* after /vX.Y, with its query string */
  json_t *json;           /* request body, or NULL */
  engine_read_cb upload;  /* streamed request body (chunked), or NULL */
  void *upload_ud;
  const char *content_type; /* of the streamed body */
  const char *const *headers; /* extra "Name: value" headers, NULL-terminated */
  engine_data_cb on_data; /* streamed response body, or NULL: buffered JSON */
  void *ud;
  /* Expiry: SBX_ERR_TIMEOUT.  0: ENGINE_REQUEST_TIMEOUT_MS for a request
     whose answer is one JSON document (a stalled engine must not hold sbx
     for ever), none for a stream (on_data, upload); -1: none (a wait that
     ends with a container). */
  long timeout_ms;
  bool versionless; /* do not prefix the path with /vX.Y (/_ping) */
} engine_request;

/* Perform a request.  HTTP status >= 400 becomes an error quoting the engine's
   message and the status.  *status (may be NULL) gets the status; *out (may be
   NULL) the decoded JSON body when on_data is NULL and the body is JSON. */
int engine_call (engine_client *c, const engine_request *req, long *status, json_t **out,
                 sbx_error **err);

/* The error for an engine answer with status >= 400: quotes the body's
   "message" (or the start of a non-JSON body) and the status. */
int engine_error_from_response (long status, const char *body, size_t len, sbx_error **err);
/* For an exec request that failed: a container that stopped or is being
   removed cannot take an exec, which is a conflict whatever status the
   engine chose (20.10 answers 500 "is not running: Removal In Progress"
   while it removes the container).  Returns -1. */
int engine_exec_error (sbx_error **err);

int engine_get_json (engine_client *c, const char *path, json_t **out, sbx_error **err);
int engine_post_json (engine_client *c, const char *path, json_t *body, json_t **out,
                      sbx_error **err);
int engine_delete (engine_client *c, const char *path, sbx_error **err);

/* URL-encode s (allocated). */
char *engine_urlencode (const char *s);
/* "filters" query value selecting by label ("key" or "key=value"). */
char *engine_label_filter (const char *label);

/* ---- system.c ---- */

int engine_version (engine_client *c, json_t **out, sbx_error **err);
int engine_info (engine_client *c, json_t **out, sbx_error **err);

/* ---- images ---- */

int engine_image_inspect (engine_client *c, const char *ref, json_t **out, sbx_error **err);
int engine_image_list (engine_client *c, const char *label, json_t **out, sbx_error **err);
/* Import a root filesystem tarball as repo:tag; *id (may be NULL) the image id. */
int engine_image_import (engine_client *c, engine_read_cb read, void *ud, const char *repo,
                         const char *tag, char **id, sbx_error **err);
int engine_image_tag (engine_client *c, const char *ref, const char *repo, const char *tag,
                      sbx_error **err);
int engine_image_remove (engine_client *c, const char *ref, bool force, sbx_error **err);

/* ---- direct.c ---- */

/* engine_image_inspect without libcurl, when that can be (a unix:// engine,
   libcurl not loaded yet): 0 with *out, -1 with the engine's error (as
   engine_image_inspect: SBX_ERR_NOT_FOUND when there is no such image), 1
   when it could not ask this way (then ask engine_image_inspect). */
int engine_image_inspect_direct (engine_client *c, const char *ref, json_t **out,
                                 sbx_error **err);

/* ---- containers ---- */

/* config: the full create body (Image, Cmd, HostConfig...).  A
   HostConfig.Runtime that the engine does not give the container is an
   error, and the container is removed. */
int engine_container_create (engine_client *c, const char *name, json_t *config, char **id,
                             sbx_error **err);
int engine_container_start (engine_client *c, const char *id, sbx_error **err);
int engine_container_stop (engine_client *c, const char *id, int timeout_s, sbx_error **err);
int engine_container_kill (engine_client *c, const char *id, const char *signal, sbx_error **err);
int engine_container_remove (engine_client *c, const char *id, bool force, sbx_error **err);
int engine_container_rename (engine_client *c, const char *id, const char *name, sbx_error **err);
/* 404 gives SBX_ERR_NOT_FOUND. */
int engine_container_inspect (engine_client *c, const char *id, json_t **out, sbx_error **err);
int engine_container_list (engine_client *c, const char *label, bool all, json_t **out,
                           sbx_error **err);
/* Commit the container's file system as repo:tag; *id (may be NULL) the image id. */
int engine_container_commit (engine_client *c, const char *id, const char *repo, const char *tag,
                             char **image_id, sbx_error **err);
/* condition: "not-running", "next-exit" or "removed". */
int engine_container_wait (engine_client *c, const char *id, const char *condition,
                           long *exit_code, sbx_error **err);

/* ---- exec ---- */

typedef struct engine_exec_config
{
  char *const *cmd;
  char *const *env; /* "K=V", may be NULL */
  const char *workdir;
  const char *user;
  bool tty;
  bool attach_stdin;
} engine_exec_config;

typedef struct engine_exec_state
{
  bool running;
  int exit_code;
  long pid;
} engine_exec_state;

/* Output callback: stream 1 = stdout, 2 = stderr.  0 to go on, or -1 with
   *err set. */
typedef int (*engine_output_cb) (int stream, const char *data, size_t len, void *ud,
                                 sbx_error **err);

int engine_exec_create (engine_client *c, const char *container, const engine_exec_config *cfg,
                        char **id, sbx_error **err);
/* Start a non-TTY exec without stdin and stream its demultiplexed output
   until it ends or timeout_ms expires (SBX_ERR_TIMEOUT). */
int engine_exec_start (engine_client *c, const char *exec_id, engine_output_cb cb, void *ud,
                       long timeout_ms, sbx_error **err);
int engine_exec_inspect (engine_client *c, const char *exec_id, engine_exec_state *st,
                         sbx_error **err);

/* ---- multiplexed stream demux (application/vnd.docker.multiplexed-stream) ---- */

typedef struct engine_demux
{
  unsigned char header[8];
  size_t header_len;
  size_t remaining; /* payload bytes left in the current frame */
  int stream;
  engine_output_cb cb;
  void *ud;
} engine_demux;

void engine_demux_init (engine_demux *d, engine_output_cb cb, void *ud);
/* Feed bytes in any split; payload is passed on without being buffered. */
int engine_demux_feed (engine_demux *d, const char *data, size_t len, sbx_error **err);
/* At end of stream: an error if a frame was cut short. */
int engine_demux_finish (engine_demux *d, sbx_error **err);

#endif
