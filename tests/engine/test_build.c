/* Builds against the real engine: the JSON-lines progress parser (pure),
   POST /build with a streamed context, GetOrBuild (reuse without upload,
   rebuild when the image is deleted), a failing step, cancellation with no
   tag left, two concurrent builds of one project, status, invalidate and
   gc selection.  Every image is FROM sbx-test/busybox:latest. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devenv/devenv.h"
#include "engine/build.h"
#include "project.h"
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

TestSuite (build, .init = setup, .fini = teardown, .timeout = 180);

/* ---- the progress parser ---- */

typedef struct events
{
  char stream[4096];
  size_t stream_len;
  int errors, ids, statuses;
  char last_error[512];
} events;

static int
collect (const engine_build_event *ev, void *ud, sbx_error **err)
{
  events *e = ud;
  switch (ev->kind)
    {
    case ENGINE_BUILD_STREAM:
      if (e->stream_len + ev->len < sizeof e->stream)
        {
          memcpy (e->stream + e->stream_len, ev->text, ev->len);
          e->stream_len += ev->len;
        }
      break;
    case ENGINE_BUILD_ERROR:
      e->errors++;
      snprintf (e->last_error, sizeof e->last_error, "%.*s", (int) ev->len, ev->text);
      break;
    case ENGINE_BUILD_AUX_ID:
      e->ids++;
      break;
    case ENGINE_BUILD_STATUS:
      e->statuses++;
      break;
    }
  return 0;
}

/* The whole of answer through a new parser, its stream NUL-terminated in
   e->stream; *p is left to the caller to clear. */
static void
parse_whole (engine_build_parser *p, events *e, const char *answer, size_t len)
{
  engine_build_parser_init (p, collect, e);
  sbx_error *err = NULL;
  cr_assert_eq (engine_build_parser_feed (p, answer, len, &err), 0);
  cr_assert_eq (engine_build_parser_finish (p, &err), 0);
  e->stream[e->stream_len] = '\0';
}

static const char answer[]
    = "{\"stream\":\"Step 1/2 : FROM x\"}\r\n{\"stream\":\"\\n\"}\n"
      "{\"status\":\"Pulling\",\"id\":\"abc\",\"progress\":\"[=>  ]\"}\n"
      "{\"aux\":{\"ID\":\"sha256:1111\"}}\n"
      "{\"stream\":\"out \\u00e9\\n\"}\n"
      "{\"aux\":{\"ID\":\"sha256:2222\"}}\n"
      "{\"errorDetail\":{\"code\":3,\"message\":\"step failed\"},\"error\":\"step failed\"}";

Test (build, parser_any_split)
{
  size_t n = strlen (answer);
  for (size_t cut = 0; cut <= n; cut++)
    {
      events e = { 0 };
      engine_build_parser p;
      engine_build_parser_init (&p, collect, &e);
      sbx_error *err = NULL;
      cr_assert_eq (engine_build_parser_feed (&p, answer, cut, &err), 0);
      cr_assert_eq (engine_build_parser_feed (&p, answer + cut, n - cut, &err), 0);
      cr_assert_eq (engine_build_parser_finish (&p, &err), 0);
      e.stream[e.stream_len] = '\0';
      cr_assert_str_eq (e.stream, "Step 1/2 : FROM x\nout \xc3\xa9\n", "cut %zu", cut);
      cr_assert_eq (e.ids, 2);
      cr_assert_eq (e.statuses, 1);
      cr_assert_eq (e.errors, 1);
      cr_assert_str_eq (p.image_id, "sha256:2222");
      cr_assert_str_eq (p.error, "step failed");
      cr_assert_eq (p.error_code, 3);
      engine_build_parser_clear (&p);
    }
}

/* podman (buildah) numbers steps per stage and words a failed RUN its own
   way: the parser hands them on in Docker's form. */
Test (build, parser_podman_steps_in_docker_form)
{
  static const char podman_answer[]
      = "{\"stream\":\"[1/2] STEP 1/2: FROM b AS one\\n\"}\n"
        "{\"stream\":\"[1/2] STEP 2/2: RUN true\\n\"}\n"
        "{\"stream\":\"--\\u003e 23f0ce8f7c2\\n\"}\n"
        "{\"stream\":\"[2/2] STEP 1/3: FROM b\\n\"}\n"
        "{\"stream\":\"[2/2] STEP 2/3: RUN echo a; exit 7\\n\"}\n"
        "{\"stream\":\"a\\n\"}\n"
        "{\"errorDetail\":{\"message\":\"building at STEP \\\"RUN echo a; exit 7\\\": while "
        "running runtime: exit status 7\\n\"}}\n";
  events e = { 0 };
  engine_build_parser p;
  parse_whole (&p, &e, podman_answer, sizeof podman_answer - 1);
  cr_assert_str_eq (e.stream, "Step 1/2 : FROM b AS one\nStep 2/2 : RUN true\n ---> 23f0ce8f7c2\n"
                              "Step 3/5 : FROM b\nStep 4/5 : RUN echo a; exit 7\na\n");
  cr_assert_str_eq (p.error, "The command 'RUN echo a; exit 7' returned a non-zero code: 7");
  engine_build_parser_clear (&p);
}

/* podman's COMMIT line and the image id it prints after "Successfully
   tagged" have no counterpart in Docker's output: dropped; a bare id that
   a command prints is its output, kept. */
Test (build, parser_podman_commit_and_id_dropped)
{
  static const char podman_answer[]
      = "{\"stream\":\"STEP 1/2: FROM b\\n\"}\n"
        "{\"stream\":\"STEP 2/2: RUN openssl rand -hex 32\\n\"}\n"
        "{\"stream\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\\n\"}\n"
        "{\"stream\":\"COMMIT docker.io/library/x:1\\n\"}\n"
        "{\"stream\":\"--\\u003e 7c21d05b5fb\\n\"}\n"
        "{\"stream\":\"Successfully tagged docker.io/library/x:1\\n\"}\n"
        "{\"stream\":\"7c21d05b5fb4b855edcc4e727e3120f4a58b44ba32c1decf9f9c4bfeda514342\\n\"}\n"
        "{\"aux\":{\"ID\":\"sha256:"
        "7c21d05b5fb4b855edcc4e727e3120f4a58b44ba32c1decf9f9c4bfeda514342\"}}\n"
        "{\"stream\":\"Successfully built 7c21d05b5fb4\\n\"}\n";
  events e = { 0 };
  engine_build_parser p;
  parse_whole (&p, &e, podman_answer, sizeof podman_answer - 1);
  cr_assert_str_eq (e.stream, "Step 1/2 : FROM b\nStep 2/2 : RUN openssl rand -hex 32\n"
                              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                              " ---> 7c21d05b5fb\nSuccessfully tagged docker.io/library/x:1\n"
                              "Successfully built 7c21d05b5fb4\n");
  engine_build_parser_clear (&p);
}

/* Docker's builder spoke first: a command's output that looks like
   buildah's is output, as it is. */
Test (build, parser_docker_output_like_buildah_kept)
{
  static const char docker_answer[] = "{\"stream\":\"Step 1/2 : FROM b\\n\"}\n"
                                      "{\"stream\":\"Step 2/2 : RUN podman build .\\n\"}\n"
                                      "{\"stream\":\"STEP 1/2: FROM x\\n\"}\n"
                                      "{\"stream\":\"COMMIT y\\n\"}\n"
                                      "{\"stream\":\"--\\u003e 7c21d05b5fb\\n\"}\n";
  events e = { 0 };
  engine_build_parser p;
  parse_whole (&p, &e, docker_answer, sizeof docker_answer - 1);
  cr_assert_str_eq (e.stream, "Step 1/2 : FROM b\nStep 2/2 : RUN podman build .\n"
                              "STEP 1/2: FROM x\nCOMMIT y\n--> 7c21d05b5fb\n");
  engine_build_parser_clear (&p);
}

Test (build, parser_bounded_line)
{
  events e = { 0 };
  engine_build_parser p;
  engine_build_parser_init (&p, collect, &e);
  sbx_error *err = NULL;
  static char chunk[65536];
  memset (chunk, 'a', sizeof chunk);
  const char *start = "{\"stream\":\"";
  cr_assert_eq (engine_build_parser_feed (&p, start, strlen (start), &err), 0);
  for (int i = 0; i < 64; i++) /* 4 MiB in one line */
    cr_assert_eq (engine_build_parser_feed (&p, chunk, sizeof chunk, &err), 0);
  cr_assert_eq (engine_build_parser_feed (&p, "\"}\n{\"aux\":{\"ID\":\"sha256:9\"}}\n", 29, &err), 0);
  cr_assert_eq (engine_build_parser_finish (&p, &err), 0);
  cr_assert (strstr (e.stream, "dropped"), "%s", e.stream);
  cr_assert_str_eq (p.image_id, "sha256:9");
  engine_build_parser_clear (&p);
}

Test (build, query)
{
  json_t *labels = json_pack ("{s:s}", "a", "b c");
  json_t *args = json_pack ("{s:s}", "V", "1");
  engine_build_opts o = { .dockerfile = "sub/Dockerfile", .tag = "r/x:k", .labels = labels,
                          .buildargs = args, .target = "dev", .nocache = true };
  char *q = engine_build_query (&o);
  cr_assert (strstr (q, "dockerfile=sub%2FDockerfile"), "%s", q);
  cr_assert (strstr (q, "t=r%2Fx%3Ak"), "%s", q);
  cr_assert (strstr (q, "labels=%7B%22a%22%3A%22b%20c%22%7D"), "%s", q);
  cr_assert (strstr (q, "buildargs=%7B%22V%22%3A%221%22%7D"), "%s", q);
  cr_assert (strstr (q, "target=dev"), "%s", q);
  cr_assert (strstr (q, "nocache=1"), "%s", q);
  cr_assert (strstr (q, "forcerm=1"), "%s", q);
  free (q);
  json_decref (labels);
  json_decref (args);
}

/* ---- helpers ---- */

static sbx_project *
open_project (const char *dir)
{
  sbx_project *p = NULL;
  sbx_error *err = NULL;
  cr_assert (sbx_project_open (dir, 1, &p, &err) == 0, "%s", err ? err->msg : "");
  return p;
}

/* Remove every image of the project (all its tags). */
static void
remove_project_images (const char *dir)
{
  tu_remove_project_images (c, dir);
}

static bool
image_present (const char *ref)
{
  json_t *ins = NULL;
  sbx_error *e = NULL;
  if (engine_image_inspect (c, ref, &ins, &e) == 0)
    {
      json_decref (ins);
      return true;
    }
  sbx_error_free (e);
  return false;
}

static int
get_or_build (const sbx_project *p, devenv_options *o, devenv_result *res, sbx_error **err)
{
  return devenv_get_or_build (c, p, o, res, err);
}

/* ---- GetOrBuild ---- */

Test (build, get_or_build_reuses_without_upload_and_rebuilds_deleted)
{
  char *dir = tu_mkproject ();
  tu_write_file (dir, "Dockerfile", "FROM " TU_IMAGE "\nCOPY a.txt /a.txt\nRUN test \"$(cat /a.txt)\" = one\n");
  tu_write_file (dir, "a.txt", "one\n");
  sbx_project *p = open_project (dir);
  devenv_result r1, r2, r3;
  sbx_error *err = NULL;
  cr_assert (get_or_build (p, NULL, &r1, &err) == 0, "%s", err ? err->msg : "");
  cr_assert (r1.built);
  cr_assert_gt (r1.upload_bytes, 0);
  cr_assert (image_present (r1.image));
  json_t *ins = NULL;
  cr_assert (engine_image_inspect (c, r1.image, &ins, &err) == 0);
  json_t *labels = json_object_get (json_object_get (ins, "Config"), "Labels");
  cr_assert_str_eq (json_string_value (json_object_get (labels, "dev.sbx.key")), r1.key);
  cr_assert_str_eq (json_string_value (json_object_get (labels, "dev.sbx.project")), dir);
  cr_assert_str_eq (json_string_value (json_object_get (labels, "dev.sbx.dockerfile")), "Dockerfile");
  cr_assert_str_eq (json_string_value (json_object_get (ins, "Id")), r1.image_id);
  json_decref (ins);
  _cleanup_free_ char *want = xasprintf ("%s:%.12s", p->image_repo, r1.key);
  cr_assert_str_eq (r1.image, want);

  cr_assert (get_or_build (p, NULL, &r2, &err) == 0, "%s", err ? err->msg : "");
  cr_assert_not (r2.built);
  cr_assert_eq (r2.upload_bytes, 0, "a cache hit sends nothing");
  cr_assert_str_eq (r2.image_id, r1.image_id);

  cr_assert (engine_image_remove (c, r1.image, true, &err) == 0);
  cr_assert (get_or_build (p, NULL, &r3, &err) == 0, "%s", err ? err->msg : "");
  cr_assert (r3.built, "an image deleted behind sbx's back is rebuilt");
  cr_assert (image_present (r3.image));
  devenv_result_clear (&r1);
  devenv_result_clear (&r2);
  devenv_result_clear (&r3);
  remove_project_images (dir);
  sbx_project_free (p);
  tu_rmrf (dir);
  free (dir);
}

Test (build, failing_step_names_line_and_tail)
{
  char *dir = tu_mkproject ();
  tu_write_file (dir, "Dockerfile", "FROM " TU_IMAGE "\n\n# fails:\nRUN echo first-line; echo second-line; exit 7\n");
  sbx_project *p = open_project (dir);
  devenv_result r;
  sbx_error *err = NULL;
  cr_assert (get_or_build (p, NULL, &r, &err) < 0);
  cr_assert (strstr (err->msg, "Dockerfile:4"), "%s", err->msg);
  cr_assert (strstr (err->msg, "non-zero code: 7"), "%s", err->msg);
  cr_assert_eq (r.failure.line, 4);
  cr_assert_eq (r.failure.step, 2);
  cr_assert_not_null (r.failure.tail);
  cr_assert (strstr (r.failure.tail, "first-line\nsecond-line\n"), "%s", r.failure.tail);
  cr_assert_not (image_present (r.image), "no tag after a failed build");
  sbx_error_free (err);
  devenv_result_clear (&r);
  remove_project_images (dir);
  sbx_project_free (p);
  tu_rmrf (dir);
  free (dir);
}

static volatile sig_atomic_t cancel_flag;

static void *
cancel_later (void *arg)
{
  (void) arg;
  struct timespec ts = { 1, 500 * 1000 * 1000 };
  nanosleep (&ts, NULL);
  cancel_flag = 1;
  return NULL;
}

static int
count_containers_from (const char *needle)
{
  json_t *list = NULL;
  cr_assert (engine_container_list (c, NULL, true, &list, NULL) == 0);
  int n = 0;
  size_t i;
  json_t *ct;
  json_array_foreach (list, i, ct)
    {
      const char *cmd = json_string_value (json_object_get (ct, "Command"));
      if (cmd && strstr (cmd, needle))
        n++;
    }
  json_decref (list);
  return n;
}

Test (build, cancel_stops_the_build_and_tags_nothing)
{
  char *dir = tu_mkproject ();
  char needle[64];
  snprintf (needle, sizeof needle, "sleep 27.%d", (int) getpid ());
  _cleanup_free_ char *df = xasprintf ("FROM " TU_IMAGE "\nRUN %s\n", needle);
  tu_write_file (dir, "Dockerfile", df);
  sbx_project *p = open_project (dir);
  engine_client *cc = tu_engine ();
  cancel_flag = 0;
  engine_client_set_cancel (cc, &cancel_flag);
  devenv_options o = { .cancel = &cancel_flag };
  pthread_t th;
  pthread_create (&th, NULL, cancel_later, NULL);
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  devenv_result r;
  sbx_error *err = NULL;
  cr_assert (devenv_get_or_build (cc, p, &o, &r, &err) < 0);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  pthread_join (th, NULL);
  cr_assert_eq (err->code, SBX_ERR_INTERRUPTED, "%s", err->msg);
  cr_assert_lt (t1.tv_sec - t0.tv_sec, 10, "cancellation took too long");
  cr_assert_not (image_present (r.image));
  /* The engine removes the step's container once the client is gone. */
  int left = 1;
  for (int i = 0; i < 100 && left; i++)
    {
      left = count_containers_from (needle);
      if (left)
        usleep (100 * 1000);
    }
  cr_assert_eq (left, 0, "the cancelled step's container is still there");
  cr_assert_not (image_present (r.image));
  sbx_error_free (err);
  devenv_result_clear (&r);
  engine_client_free (cc);
  remove_project_images (dir);
  sbx_project_free (p);
  tu_rmrf (dir);
  free (dir);
}

typedef struct racer
{
  const char *dir;
  devenv_result res;
  int rc;
  char msg[256];
} racer;

static void *
race (void *arg)
{
  racer *r = arg;
  sbx_project *p = NULL;
  sbx_error *err = NULL;
  engine_client *cc = NULL;
  if (engine_client_new (NULL, &cc, &err) == 0 && sbx_project_open (r->dir, 1, &p, &err) == 0)
    r->rc = devenv_get_or_build (cc, p, NULL, &r->res, &err);
  else
    r->rc = -1;
  if (err)
    snprintf (r->msg, sizeof r->msg, "%s", err->msg);
  sbx_error_free (err);
  sbx_project_free (p);
  engine_client_free (cc);
  return NULL;
}

Test (build, concurrent_builds_build_once)
{
  char *dir = tu_mkproject ();
  tu_write_file (dir, "Dockerfile", "FROM " TU_IMAGE "\nRUN sleep 1\n");
  racer a = { .dir = dir }, b = { .dir = dir };
  pthread_t ta, tb;
  pthread_create (&ta, NULL, race, &a);
  pthread_create (&tb, NULL, race, &b);
  pthread_join (ta, NULL);
  pthread_join (tb, NULL);
  cr_assert_eq (a.rc, 0, "%s", a.msg);
  cr_assert_eq (b.rc, 0, "%s", b.msg);
  cr_assert_eq (a.res.built + b.res.built, 1, "built %d times", a.res.built + b.res.built);
  cr_assert (a.res.waited || b.res.waited);
  cr_assert_str_eq (a.res.image_id, b.res.image_id);
  devenv_result_clear (&a.res);
  devenv_result_clear (&b.res);
  remove_project_images (dir);
  tu_rmrf (dir);
  free (dir);
}

Test (build, status_invalidate_and_gc_selection)
{
  char *dir = tu_mkproject ();
  tu_write_file (dir, "Dockerfile", "FROM " TU_IMAGE "\nCOPY v /v\n");
  tu_write_file (dir, "v", "1\n");
  sbx_project *p = open_project (dir);
  sbx_error *err = NULL;
  bool stale = false;
  cr_assert (devenv_is_stale (c, p, NULL, &stale, &err) == 0, "%s", err ? err->msg : "");
  cr_assert (stale, "nothing built yet");
  devenv_result r1, r2, r3;
  cr_assert (get_or_build (p, NULL, &r1, &err) == 0, "%s", err ? err->msg : "");
  cr_assert (devenv_is_stale (c, p, NULL, &stale, &err) == 0);
  cr_assert_not (stale);

  tu_write_file (dir, "v", "2\n");
  cr_assert (devenv_is_stale (c, p, NULL, &stale, &err) == 0);
  cr_assert (stale, "a copied file changed");
  cr_assert (get_or_build (p, NULL, &r2, &err) == 0, "%s", err ? err->msg : "");
  cr_assert (r2.built);
  cr_assert_str_neq (r1.key, r2.key);

  /* gc keeps the newest image of the project and would remove the older. */
  devenv_gc_report rep;
  cr_assert (devenv_gc (c, true, NULL, &rep, &err) == 0, "%s", err ? err->msg : "");
  bool old_listed = false, new_listed = false;
  for (size_t i = 0; i < rep.n; i++)
    {
      if (strcmp (rep.items[i].id, r1.image_id) == 0)
        old_listed = true;
      if (strcmp (rep.items[i].id, r2.image_id) == 0)
        new_listed = true;
    }
  cr_assert (old_listed, "the older image is not listed by gc --dry-run");
  cr_assert_not (new_listed, "the newest image is listed by gc --dry-run");
  devenv_gc_report_clear (&rep);
  cr_assert (image_present (r1.image), "a dry run removed something");

  bool had = false;
  cr_assert (devenv_invalidate (c, p, NULL, &had, &err) == 0, "%s", err ? err->msg : "");
  cr_assert (had);
  devenv_status st;
  cr_assert (devenv_status_get (c, p, NULL, &st, &err) == 0);
  cr_assert (st.stale);
  cr_assert (st.invalidated);
  cr_assert_not (st.image_present);
  devenv_status_clear (&st);
  cr_assert (get_or_build (p, NULL, &r3, &err) == 0, "%s", err ? err->msg : "");
  cr_assert (r3.built, "invalidate did not force a rebuild");
  cr_assert_str_neq (r3.image_id, r2.image_id, "the rebuild reused the layer cache");
  cr_assert (devenv_status_get (c, p, NULL, &st, &err) == 0);
  cr_assert_not (st.stale);
  cr_assert_not (st.invalidated, "the marker survived the rebuild");
  devenv_status_clear (&st);
  devenv_result_clear (&r1);
  devenv_result_clear (&r2);
  devenv_result_clear (&r3);
  remove_project_images (dir);
  sbx_project_free (p);
  tu_rmrf (dir);
  free (dir);
}
