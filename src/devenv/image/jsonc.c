/* jsonc.c: see jsonc.h.  Two passes over a copy, string-aware: comments
   become spaces, then commas followed only by blanks and a closing bracket
   become spaces. */
#include "devenv/image/jsonc.h"
#include "util.h"

#include <stdbool.h>
#include <string.h>

int
devenv_jsonc_strip (const char *text, size_t len, char **out, int *line, sbx_error **err)
{
  char *s = xmalloc (len + 1);
  memcpy (s, text, len);
  s[len] = '\0';
  bool in_str = false;
  int ln = 1;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '\n')
        ln++;
      if (in_str)
        {
          if (s[i] == '\\' && i + 1 < len)
            i++;
          else if (s[i] == '"')
            in_str = false;
          continue;
        }
      if (s[i] == '"')
        in_str = true;
      else if (s[i] == '/' && i + 1 < len && s[i + 1] == '/')
        {
          while (i < len && s[i] != '\n')
            s[i++] = ' ';
          i--;
        }
      else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*')
        {
          int start = ln;
          s[i] = s[i + 1] = ' ';
          size_t j = i + 2;
          while (j + 1 < len && !(s[j] == '*' && s[j + 1] == '/'))
            {
              if (s[j] == '\n')
                ln++;
              else
                s[j] = ' ';
              j++;
            }
          if (j + 1 >= len)
            {
              free (s);
              if (line)
                *line = start;
              return sbx_fail (err, SBX_ERR_INVALID, "line %d: unterminated /* comment", start);
            }
          s[j] = s[j + 1] = ' ';
          i = j + 1;
        }
    }
  /* Trailing commas. */
  in_str = false;
  for (size_t i = 0; i < len; i++)
    {
      if (in_str)
        {
          if (s[i] == '\\' && i + 1 < len)
            i++;
          else if (s[i] == '"')
            in_str = false;
          continue;
        }
      if (s[i] == '"')
        in_str = true;
      else if (s[i] == ',')
        {
          size_t j = i + 1;
          while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n'))
            j++;
          if (j < len && (s[j] == '}' || s[j] == ']'))
            s[i] = ' ';
        }
    }
  *out = s;
  return 0;
}

int
devenv_jsonc_parse (const char *text, size_t len, const char *name, json_t **out, sbx_error **err)
{
  _cleanup_free_ char *clean = NULL;
  sbx_error *e = NULL;
  if (devenv_jsonc_strip (text, len, &clean, NULL, &e) < 0)
    {
      int r = sbx_fail (err, SBX_ERR_INVALID, "%s: %s", name, e->msg);
      sbx_error_free (e);
      return r;
    }
  json_error_t jerr;
  json_t *j = json_loadb (clean, len, 0, &jerr);
  if (!j)
    return sbx_fail (err, SBX_ERR_INVALID, "%s:%d:%d: %s", name, jerr.line, jerr.column,
                     jerr.text);
  *out = j;
  return 0;
}
