/* duration.c: parsing durations such as 1.5s, 200ms, 2m, 1h. */
#include "duration.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
sbx_parse_duration (const char *s, long *ms, sbx_error **err)
{
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (end == s || errno || v < 0 || !isfinite (v))
    goto bad;
  double mult;
  if (*end == '\0' || strcmp (end, "s") == 0)
    mult = 1000;
  else if (strcmp (end, "ms") == 0)
    mult = 1;
  else if (strcmp (end, "m") == 0)
    mult = 60000;
  else if (strcmp (end, "h") == 0)
    mult = 3600000;
  else
    goto bad;
  v *= mult;
  if (v > 1e12)
    goto bad;
  *ms = (long) v;
  if (*ms == 0 && v > 0)
    *ms = 1;
  return 0;
bad:
  return sbx_fail (err, SBX_ERR_INVALID,
                   "invalid duration '%s'; use a number with ms, s, m or h (e.g. 1.5s, 200ms)", s);
}
