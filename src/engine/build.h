/* build.h: POST /build (the engine's classic builder): the context is a tar
   streamed from a read callback, the answer a JSON-lines progress stream
   parsed incrementally in a bounded line buffer. */
#ifndef SBX_ENGINE_BUILD_H
#define SBX_ENGINE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "error.h"
#include "engine/engine.h"

/* The longest progress line kept whole; a longer one is reported as a
   truncation notice (memory never grows with the build log). */
#define ENGINE_BUILD_LINE_MAX (256 * 1024)

typedef enum
{
  ENGINE_BUILD_STREAM, /* builder output: text, not aligned on lines */
  ENGINE_BUILD_STATUS, /* a status line (image pulls), with progress if any */
  ENGINE_BUILD_AUX_ID, /* aux.ID: the id of the image built so far */
  ENGINE_BUILD_ERROR,  /* error / errorDetail.message: the build failed */
} engine_build_event_kind;

typedef struct engine_build_event
{
  engine_build_event_kind kind;
  const char *text; /* not NUL-terminated inside the line: use len */
  size_t len;
  int code; /* errorDetail.code for ENGINE_BUILD_ERROR, else 0 */
} engine_build_event;

/* 0 to go on, or -1 with *err set to abort the build. */
typedef int (*engine_build_cb) (const engine_build_event *ev, void *ud, sbx_error **err);

/* ---- the progress parser (pure: unit-tested) ---- */

typedef struct engine_build_parser
{
  char *line; /* ENGINE_BUILD_LINE_MAX bytes */
  size_t len;
  bool overflow;
  engine_build_cb cb;
  void *ud;
  char *image_id; /* the last aux.ID */
  char *error;    /* the first error message */
  int error_code;
  int stage, stage_steps, base; /* podman's per-stage step numbers, counted across */
  bool tagged;                  /* the last line was podman's "Successfully tagged" */
  bool docker;                  /* Docker's builder: no line is read as buildah's */
} engine_build_parser;

void engine_build_parser_init (engine_build_parser *p, engine_build_cb cb, void *ud);
/* Feed answer bytes in any split. */
int engine_build_parser_feed (engine_build_parser *p, const char *data, size_t len,
                              sbx_error **err);
/* At the end of the answer: handles a last line without a newline. */
int engine_build_parser_finish (engine_build_parser *p, sbx_error **err);
void engine_build_parser_clear (engine_build_parser *p);

/* ---- the request ---- */

typedef struct engine_build_opts
{
  engine_read_cb context; /* the context tar */
  void *context_ud;
  const char *dockerfile; /* path inside the context; NULL: "Dockerfile" */
  const char *tag;        /* "repo:tag", or NULL */
  json_t *labels;         /* object of strings, or NULL */
  json_t *buildargs;      /* object of strings, or NULL */
  const char *target;     /* stage name, or NULL */
  json_t *cachefrom;      /* array of image references whose layers may be reused, or NULL */
  bool nocache;
  engine_build_cb on_event; /* may be NULL */
  void *ud;
} engine_build_opts;

/* The query string of the request (pure: unit-tested), allocated. */
char *engine_build_query (const engine_build_opts *o);

/* Build; *image_id (may be NULL) gets the built image id.  A failure
   reported inside the 200 answer is SBX_ERR_ENGINE with the engine's
   message; the client's cancel flag drops the connection, which makes the
   engine stop the build (SBX_ERR_INTERRUPTED).  Intermediate containers are
   always removed (rm, forcerm). */
int engine_build (engine_client *c, const engine_build_opts *o, char **image_id, sbx_error **err);

#endif
