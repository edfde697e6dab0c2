/* duration.h: durations on the command line. */
#ifndef SBX_DURATION_H
#define SBX_DURATION_H

#include "error.h"

/* "1.5s", "200ms", "2m", "1h", "3" (seconds) into milliseconds. */
int sbx_parse_duration (const char *s, long *ms, sbx_error **err);

#endif
