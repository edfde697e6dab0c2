/* userdirs.h: the user's own directories where sbx keeps its state (the
   trust store), its locks and the project containers' agent sockets.
   Never under /tmp: the host levels' sandboxes may write /tmp, and must not
   reach another project's agent nor hold or remove sbx's locks. */
#ifndef SBX_USERDIRS_H
#define SBX_USERDIRS_H

#include "error.h"

/* The caller's home: $HOME when absolute, else the passwd entry's; NULL
   when neither (allocated). */
char *sbx_user_home (void);
/* $XDG_CONFIG_HOME/sbx when absolute, else ~/.config/sbx; NULL when
   there is no home (allocated, not created). */
char *sbx_user_config_dir (void);
/* $XDG_DATA_HOME/sbx when absolute, else ~/.local/share/sbx (the
   projects' user files); NULL when there is no home or it is / (allocated,
   not created). */
char *sbx_user_data_dir (void);
/* $XDG_STATE_HOME/sbx, else ~/.local/state/sbx (allocated, not created). */
int sbx_state_dir (char **out, sbx_error **err);
/* Where locks and agent sockets live: $XDG_RUNTIME_DIR/sbx when that is a
   writable directory, else the state dir's run/ (allocated, not created). */
int sbx_run_dir (char **out, sbx_error **err);
/* mkdir -p dir, 0700 for what it creates; dir itself must be a directory of
   the caller's and is made 0700. */
int sbx_private_dir (const char *dir, sbx_error **err);

#endif
