/* container.h: the project container (src/devenv/container/), the one
   header this half exports; devenv.h includes it.  Each section is
   defined by the file it names:
     state.c      the engine's view of an sbx container, parsed once, and
                  the decisions taken on it
     container.c  the hardened create body; finding, starting and removing
                  the project container
     exec.c       running a command through the engine's exec API
     exec_auto.c  running it through the container's sbx-agent when one
                  answers, else through exec.c
     swap.c       replacing the container without a gap
     user.c       the command's user: name, passwd/group entries, home
     shell.c      an interactive session
   Private to the half: agent_client.h (sbx's side of the agent protocol,
   a path that exec_auto.c and shell.c choose on their own) and
   exec_auto.h (finding the project container's agent).  Nothing in
   this half includes the image half (devenv/image/), nor the reverse. */
#ifndef SBX_DEVENV_CONTAINER_H
#define SBX_DEVENV_CONTAINER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "project.h"
#include "engine/engine.h"
#include "engine/hijack.h"

#include "devenv/labels.h"

/* ---- state.c: the engine's view of an sbx container, parsed once ---- */

/* From an inspect answer or a list entry.  The strings point into json, of
   which the struct holds a reference: valid until devenv_ctr_clear.  A
   string is NULL when the engine did not say (a label sbx did not set). */
typedef struct devenv_ctr
{
  json_t *json; /* NULL: no container */
  const char *id;
  const char *name;     /* without the engine's leading '/' */
  const char *image_id; /* the image it was created from (sha256:...) */
  const char *state;    /* "created", "running", "exited", "dead"... */
  bool running;
  const char *started_at; /* inspect only: RFC 3339 */
  pid_t pid;              /* inspect only: its init's pid on the host, 0 when none */
  const char *status;     /* list only: "Up 2 minutes", for people */
  long long created;      /* list only: Unix seconds */
  /* Its dev.sbx.* labels (labels.h). */
  bool managed;
  const char *project;   /* the project directory */
  const char *image;     /* the image reference it was created from */
  const char *image_key; /* the devenv key of that image ("" when none) */
  const char *isolation; /* sbx_level_name */
  const char *profile;   /* devenv_profile */
  const char *runtime;   /* maximum: the gVisor runtime */
  const char *agent;     /* its socket's name in the agent directory */
  const char *devcontainer; /* digest of its devenv_runtime ("" or NULL: none) */
  const char *ports;        /* its published ports, "8080:80,..." (NULL: none) */
  const char *owner;     /* the uid of the user who made it (decimal) */
  const char *hardening; /* devenv_hardening_name ("strict" when it has none) */
} devenv_ctr;

void devenv_ctr_parse (json_t *j, devenv_ctr *out);
void devenv_ctr_clear (devenv_ctr *s);
#define _cleanup_ctr_ __attribute__ ((cleanup (devenv_ctr_clear)))

/* The containers that carry label ("key" or "key=value"), as
   engine_container_list lists them (all: stopped ones too). */
typedef struct devenv_ctrs
{
  devenv_ctr *v;
  size_t n;
} devenv_ctrs;
int devenv_ctr_list (engine_client *c, const char *label, bool all, devenv_ctrs *out,
                     sbx_error **err);
void devenv_ctrs_clear (devenv_ctrs *l);
#define _cleanup_ctrs_ __attribute__ ((cleanup (devenv_ctrs_clear)))

/* Is its state (State.Status, or the list's State) state? */
bool devenv_ctr_in_state (const devenv_ctr *s, const char *state);
/* The level it runs at (its dev.sbx.isolation label); false when it has
   none that sbx_level_parse takes. */
bool devenv_ctr_level (const devenv_ctr *s, sbx_level *level);
/* Why it cannot serve as a container of image, at *level, with hardening
   (devenv_hardening_name) and profile (each NULL: any): "image",
   "isolation", "hardening" or "configuration", the first that differs;
   NULL when it can.  Replacing it is the caller's choice. */
const char *devenv_ctr_mismatch (const devenv_ctr *s, const char *image, const sbx_level *level,
                                 const char *hardening, const char *profile);

/* ---- container.c: the project container ---- */

/* Where a lifecycle command's output goes: step is its name
   ("postCreateCommand"), stream 1 or 2. */
typedef void (*devenv_lifecycle_output) (const char *step, int stream, const char *data,
                                         size_t len, void *ud);

/* A published port: 127.0.0.1:host on the host, ctr in the container. */
typedef struct devenv_port
{
  int host, ctr;
} devenv_port;

/* What a project's devcontainer.json (and `sbx up -p`) asks of the
   container, resolved: no variable left to substitute. */
typedef struct devenv_runtime
{
  char **env;          /* "K=V" added to the container's environment
                          (containerEnv, then remoteEnv), or NULL */
  const char *workdir; /* the container's working directory; NULL: the project */
  devenv_port *ports;  /* published on 127.0.0.1 (the network must be allowed) */
  size_t n_ports;
  /* {"onCreateCommand": string | argv array | object of those, ...}, or
     NULL.  Once per container, before it serves: onCreateCommand,
     updateContentCommand, postCreateCommand; at each start:
     postStartCommand; postAttachCommand when devenv_lifecycle_attach is
     called. */
  json_t *lifecycle;
  devenv_lifecycle_output output; /* may be NULL */
  void *output_ud;
  /* devenv_runtime_digest of what it was made from (before the image's
     environment was known), kept in the container's labels; NULL: "". */
  const char *digest;
  /* Its hardening, asked by a trusted file (devcontainer.json runArgs,
     capAdd, securityOpt; container_hardening in the configuration):
     Docker's default capability set (DEVENV_DOCKER_DEFAULT_CAPS), and
     without no-new-privileges.  Both false: strict. */
  bool docker_caps;
  bool no_nnp;
  const char *hardening_by; /* what asked for it, for messages (NULL: none) */
  /* The name the user takes (devcontainer.json remoteUser, else
     containerUser) when the spec names none; NULL: user.c chooses. */
  const char *user_name;
  /* devcontainer.json mounts (a trusted file's, checked): the engine's
     Mount objects, binds resolved; a volume's Source is the name as
     written, the project's volume devenv_volume_name; NULL: none. */
  json_t *mounts;
} devenv_runtime;

/* "strict", "docker-default" (caps, no no-new-privileges) or
   "docker-default-caps" (caps, no-new-privileges kept): the
   DEVENV_LABEL_HARDENING of a container made with rt (NULL: strict). */
const char *devenv_hardening_name (const devenv_runtime *rt);

/* The digest of what rt gives the container ("" for none), allocated: a
   container created with another is replaced by `sbx up`. */
char *devenv_runtime_digest (const devenv_runtime *rt);
/* "8080:80,..." for ports (allocated; "" when none), and back. */
char *devenv_ports_format (const devenv_port *ports, size_t n);
int devenv_ports_parse (const char *s, devenv_port **ports, size_t *n, sbx_error **err);
typedef struct devenv_user devenv_user;

typedef struct devenv_spec
{
  const sbx_project *project;
  const sbx_config *cfg;  /* network, memory, cpu */
  const char *image;      /* reference to run */
  const char *image_key;  /* devenv key of the image, or NULL */
  sbx_level level;        /* SBX_LEVEL_CONTAINER or SBX_LEVEL_MAXIMUM */
  const char *runtime;    /* for maximum: the gVisor runtime name */
  const char *agent_path; /* host path of sbx-agent */
  /* The project's agent directory on the host (devenv_agent_dir), mounted
     at /.sbx/run, and the name of the agent's socket in it; NULL: the agent
     serves no socket (only PID 1's duties).  devenv_container_create_started
     fills them in for a local engine when they are NULL. */
  const char *agent_dir;
  const char *agent_socket;
  uid_t uid;
  gid_t gid;
  const devenv_runtime *rt; /* the devcontainer.json's part, or NULL */
  /* The name the user takes in the container (devcontainer remoteUser), or
     NULL: the image's USER when it names one, else the caller's login
     name (user.c). */
  const char *user_name;
  /* What devenv_user_prepare made for it (devenv_container_create_started
     fills it in); NULL: no entry, HOME=/tmp. */
  const devenv_user *user;
} devenv_spec;

/* Run the lifecycle commands of rt from first to last (names of the spec,
   in their order) in container id, as spec's user, in its working
   directory.  A command that fails stops the rest: SBX_ERR_GENERIC naming
   the step and its status (and, when sudo was refused, why). */
int devenv_lifecycle_run (engine_client *c, const char *id, const devenv_spec *spec,
                          const char *first, const char *last, sbx_error **err);

/* The host path of the sbx-agent binary: $SBX_AGENT, else next to the
   running program, else the installed libexec directory. */
int devenv_agent_path (char **out, sbx_error **err);

/* The memory bound of the project container, in MiB: the configuration's
   max_memory_mb, else half of this machine's RAM, at most
   DEVENV_MEMORY_DEFAULT_MAX_MB (swap is not allowed beyond it). */
#define DEVENV_MEMORY_DEFAULT_MAX_MB 4096L
long devenv_memory_limit_mb (const sbx_config *cfg);

/* The profile of a container at level with cfg (allocated). */
char *devenv_profile (sbx_level level, const sbx_config *cfg);

/* The container's hostname: the project's name (allocated), the same for
   every container of the project. */
char *devenv_hostname (const sbx_project *p);

/* The create body for the spec (no I/O but looking at which of the
   project's protected paths exist: .git and its config, hooks, info,
   modules, worktrees..., .sbx, .devcontainer, which are read-only in the
   container, .git not renameable). */
json_t *devenv_container_config (const devenv_spec *spec);

/* Inspect the project container (during a swap: the newest running one
   with the project's label); out->json is NULL (and 0 returned) when there
   is none.  SBX_ERR_CONFLICT: a container of its name is not sbx's. */
int devenv_container_find (engine_client *c, const sbx_project *p, devenv_ctr *out,
                           sbx_error **err);

/* Did the container stop because its agent found a protected path made by
   a command (agent/guard.h)?  Waits up to DEVENV_STOP_WAIT_MS for it to
   stop; 1 with *msg the report (allocated), else 0. */
int devenv_container_guarded (engine_client *c, const char *container, char **msg);

/* Does the engine know an OCI runtime called name? */
int devenv_runtime_available (engine_client *c, const char *name, bool *available, char **known,
                              sbx_error **err);

/* Make what the project container's mounts need on the host (the agent
   directory); call before starting an existing container. */
int devenv_container_prepare (engine_client *c, const sbx_project *p, sbx_error **err);

/* Create (under name) and start a container for spec, then run its
   create-time and start lifecycle commands (spec->rt): a container whose
   commands failed is removed.  *id its id. */
int devenv_container_create_started (engine_client *c, const devenv_spec *spec, const char *name,
                                     char **id, sbx_error **err);

/* Make the project container run: start it if stopped (then its
   postStartCommand runs), create it from spec if missing.  *id its id;
   *created whether it was created. */
int devenv_container_ensure (engine_client *c, const devenv_spec *spec, char **id, bool *created,
                             sbx_error **err);

/* Stop and remove the project container (and any leftover of a swap). */
int devenv_container_remove_all (engine_client *c, const sbx_project *p, int *removed,
                                 sbx_error **err);

/* How many commands run in the container: execs of the engine and
   commands of its agent.  The agent is retired by the question: it accepts
   no new command (for the drain of a swap, once the container is no longer
   the project's). */
int devenv_container_running_commands (engine_client *c, const char *id, int *count,
                                       sbx_error **err);

/* ---- user.c: the command's user in the project container ---- */

struct devenv_user
{
  char *name;   /* its name in the container */
  char *home;   /* its HOME, where the home volume is mounted */
  char *shell;  /* its SHELL */
  char *passwd; /* host files bound read-only on /etc/passwd and /etc/group */
  char *group;
  char *volume; /* the home volume */
};

/* Make spec's user: its passwd/group files (the image's, read once per
   image, with the user's entries: the name renumbered to spec->uid/gid)
   and its home volume (a labelled local volume bound to a directory of
   the caller's, created once).  Leaves *u empty (and returns 0) where
   there is nowhere to keep them: no data directory. */
int devenv_user_prepare (engine_client *c, const devenv_spec *spec, devenv_user *u,
                         sbx_error **err);
void devenv_user_clear (devenv_user *u);
/* Make the project's volumes that spec->rt->mounts name (labelled as the
   project's, like the home volume; on a local engine bound to a directory
   of the caller's in the project's files, so that the caller can write
   them). */
int devenv_volumes_prepare (engine_client *c, const devenv_spec *spec, bool local,
                            sbx_error **err);

/* The project's files on this machine: $XDG_DATA_HOME/sbx/projects/<id>,
   else ~/.local/share/sbx/projects/<id> (*out NULL when neither exists):
   home/ (behind the home volume) and etc/ (the passwd and group files). */
int devenv_project_data_dir (const char *project_id, char **out, sbx_error **err);
/* The project's home volume: sbx-home-<basename>-<id>. */
char *devenv_home_volume_name (const sbx_project *p);
/* The engine's name of the project's volume called name in its
   devcontainer.json mounts: DEVENV_VOLUME_FMT (allocated). */
char *devenv_volume_name (const sbx_project *p, const char *name);
/* Remove the home volume, the project's other volumes (devcontainer.json
   mounts) and the project's files (*removed: the home volume existed).
   The container using them must be gone. */
int devenv_home_remove (engine_client *c, const sbx_project *p, bool *removed, sbx_error **err);
/* The same by the volume's name and the project's id (a project that no
   longer exists); SBX_ERR_CONFLICT: a container uses the volume. */
int devenv_home_remove_named (engine_client *c, const char *name, const char *project_id,
                              bool *removed, sbx_error **err);

/* ---- exec.c: running commands through the engine's exec API ---- */

typedef struct devenv_exec_opts
{
  char *const *argv;
  char *const *env;
  const char *workdir; /* NULL: the project directory */
  const char *user;    /* "uid:gid" */
  long timeout_ms;     /* 0: none */
  engine_output_cb output;
  void *output_ud;
  /* Set (by a signal handler): kill the command, return with interrupted.
     NULL: the engine client's cancellation flag alone (API path). */
  volatile sig_atomic_t *cancel;
  /* Instead: the flag holds a signal number, which is sent to the command
     (the flag is cleared); the command's own status comes back.  The API
     path takes the flag from the engine client. */
  bool forward_signals;
  bool attach_stdin; /* forward stdin_fd until its end (else /dev/null) */
  int stdin_fd;
  /* Agent path only (devenv_shell runs TTYs through the API): */
  bool tty; /* on a new pseudo-terminal of rows x cols */
  unsigned short rows, cols;
} devenv_exec_opts;

typedef struct devenv_exec_result
{
  int exit_code;  /* the command's status (126/127 when it could not run) */
  bool timed_out; /* killed after timeout_ms */
  bool interrupted;
  int signal; /* interrupted: the signal that did it (exit_code 128 + signal) */
} devenv_exec_result;

/* Is the container stopped or gone?  Waits up to wait_ms for it to stop:
   the engine may report it running for a moment after its init was
   killed (a runsc sandbox takes its time, more so on a loaded machine:
   DEVENV_STOP_WAIT_MS after a command was SIGKILLed). */
bool devenv_container_went (engine_client *c, const char *container, long wait_ms);
#define DEVENV_STOP_WAIT_MS 3000L

/* After a signal is passed on to the command (forward_signals), it has this
   long to end on it before it is killed. */
#define DEVENV_SIGNAL_GRACE_MS 500L

/* Kill, inside the container, every process whose environment carries
   SBX_EXEC_ID=token (a second exec: `sbx-agent kill TOKEN`). */
int devenv_exec_kill (engine_client *c, const char *container, const char *user, const char *token,
                      sbx_error **err);

/* Run argv in the container through the engine's exec API.  On timeout or
   cancellation every process of the command is killed inside the container
   before this returns. */
int devenv_exec (engine_client *c, const char *container, const devenv_exec_opts *opts,
                 devenv_exec_result *res, sbx_error **err);

/* ---- exec_auto.c: through the agent when it answers ---- */

typedef enum
{
  DEVENV_VIA_API,   /* the engine's exec API */
  DEVENV_VIA_AGENT, /* the container's sbx-agent */
} devenv_exec_via;

/* Without asking the engine: run through the agent that the project's
   agent directory names as current, when it answers and (want_tag not
   NULL) runs at that isolation level.  1: it ran (res); 0: it cannot, *why
   says why (allocated) and the command did not start; -1: error. */
int devenv_exec_fast (const sbx_project *p, const char *engine_host, const char *want_tag,
                      const devenv_exec_opts *opts, devenv_exec_result *res, char **why,
                      sbx_error **err);

/* Run in the project container (found through the engine) through its
   agent when it answers (then remembered as current), else through the
   exec API; *via says which, *why (allocated, may be NULL) why not the
   agent. */
int devenv_exec_auto (engine_client *c, const sbx_project *p, const char *container,
                      const devenv_exec_opts *opts, devenv_exec_result *res, devenv_exec_via *via,
                      char **why, sbx_error **err);

/* ---- swap.c: replacing the project container with one on a new image without a
   moment where commands have nowhere to run, and recovering from a swap that
   was interrupted. */

typedef struct devenv_swap_result
{
  bool swapped;    /* false: already on that image (and not forced) */
  char *old_image; /* image reference of the replaced container */
  char *new_id;    /* the project container now */
  int drained;     /* execs of the old container waited for */
  int cut;         /* execs still running when the drain bound expired */
  long ready_ms;   /* from start to the new container answering an exec */
  long total_ms;
} devenv_swap_result;

void devenv_swap_result_clear (devenv_swap_result *r);

/* Swap the project container to spec (spec->image, level, config): create
   and start the new container under a temporary name, check it answers an
   exec, rename the old one out and the new one in, wait up to drain_ms for
   the execs still running in the old container, remove it.  If anything
   before the renames fails the old container keeps serving.  With no
   project container, this starts one.  force: swap even when the container
   already runs spec->image's id. */
int devenv_swap (engine_client *c, const devenv_spec *spec, long drain_ms, bool force,
                 devenv_swap_result *res, sbx_error **err);

/* After an interrupted swap (its lock file exists but no process holds it):
   keep exactly one project container (the one with the project's name, else
   the newest running one, renamed) and remove the others.  Cheap when no
   swap was interrupted: one stat(). */
int devenv_swap_recover (engine_client *c, const sbx_project *p, sbx_error **err);

/* ---- shell.c: an interactive session in the project container: an exec (with
   or without a TTY) whose stdin and output travel over a hijacked engine
   connection.  The command runs under `sbx-agent run` with its own
   SBX_EXEC_ID token, so that it can be killed whole (`sbx-agent kill`). */

/* The command when none is given: bash when the image has it on its PATH,
   else sh, decided inside the container by /bin/sh itself (no extra
   round trip). */
#define DEVENV_SHELL_CHOOSER "command -v bash >/dev/null 2>&1 && exec bash; exec sh"

typedef struct devenv_shell_opts
{
  char *const *argv;   /* NULL or empty: bash if present, else sh */
  char *const *env;    /* "K=V", may be NULL */
  const char *workdir; /* NULL: the container's */
  const char *user;    /* "uid:gid" */
  bool tty;            /* allocate a TTY (raw stream) */
  bool attach_stdin;   /* attach stdin */
  /* Initial TTY size (0: leave it); sent as soon as the exec runs. */
  unsigned rows, cols;
} devenv_shell_opts;

typedef struct devenv_shell devenv_shell;

/* The argv run in the container for opts->argv (allocated). */
char **devenv_shell_argv (char *const *argv);

/* Start the session through the container's sbx-agent when one serves it,
   else as devenv_shell_start does (*why: why not the agent, or NULL). */
int devenv_shell_start_auto (engine_client *c, const sbx_project *p, const char *container,
                             const devenv_shell_opts *o, devenv_shell **out, char **why,
                             sbx_error **err);
bool devenv_shell_via_agent (const devenv_shell *s);
/* Pass bytes between the terminal (or pipes) and the session until it ends
   (engine_hijack_pump's options and statuses, on either path). */
int devenv_shell_pump (devenv_shell *s, const engine_pump_opts *po, sbx_error **err);

/* Create the exec and start it on a hijacked connection. */
int devenv_shell_start (engine_client *c, const char *container, const devenv_shell_opts *o,
                        devenv_shell **out, sbx_error **err);
void devenv_shell_free (devenv_shell *s);
void devenv_shell_freep (devenv_shell **s);
#define _cleanup_shell_ __attribute__ ((cleanup (devenv_shell_freep)))

/* Set the TTY size (window change). */
int devenv_shell_resize (devenv_shell *s, unsigned rows, unsigned cols, sbx_error **err);
/* After the stream ended: the exit status of the command, once the engine
   has recorded it. */
int devenv_shell_wait (devenv_shell *s, int *exit_code, sbx_error **err);
/* Kill every process of the session inside the container (the client's
   cancel flag is cleared first: cleanup must not be cancelled). */
int devenv_shell_kill (devenv_shell *s, sbx_error **err);

#endif
