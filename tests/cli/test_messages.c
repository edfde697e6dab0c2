/* The messages a user reads: each says what happened, once, and nothing
   that is not so (help, ps, status, build progress, swap, exec, shell). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/engine.h"
#include "testutil.h"
#include "util.h"

TestSuite (messages, .timeout = 300);

static bool __attribute__ ((unused)) one_line (const char *s)
{
  const char *nl = strchr (s, '\n');
  return nl && nl[1] == '\0';
}

static size_t __attribute__ ((unused)) count (const char *hay, const char *needle)
{
  size_t n = 0;
  for (const char *p = hay; (p = strstr (p, needle)); p += strlen (needle))
    n++;
  return n;
}

Test (messages, help_command_prints_the_commands_help)
{
  const char *verbs[] = { "exec", "up", "shell", "swap", "ps", "devenv", "run", "gc" };
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    {
      tu_result a, b;
      tu_sbx (&a, NULL, "help", verbs[i], NULL);
      tu_sbx (&b, NULL, verbs[i], "--help", NULL);
      cr_assert_eq (a.status, 0, "sbx help %s: %d %s", verbs[i], a.status, a.err);
      cr_assert_str_eq (a.out, b.out, "sbx help %s is sbx %s --help", verbs[i], verbs[i]);
      _cleanup_free_ char *head = xasprintf ("usage: sbx %s", verbs[i]);
      cr_assert (strncmp (a.out, head, strlen (head)) == 0, "%s", a.out);
      cr_assert_str_eq (a.err, "");
      tu_result_clear (&a);
      tu_result_clear (&b);
    }
  /* Words after the command are never run as its operands. */
  tu_result r;
  tu_sbx (&r, NULL, "help", "exec", "false", NULL);
  cr_assert_eq (r.status, 0, "%s", r.err);
  cr_assert (strncmp (r.out, "usage: sbx exec", 15) == 0, "%s", r.out);
  tu_result_clear (&r);

  tu_result g, h;
  tu_sbx (&g, NULL, "help", NULL);
  tu_sbx (&h, NULL, "--help", NULL);
  cr_assert_eq (g.status, 0);
  cr_assert_str_eq (g.out, h.out, "sbx help is sbx --help");
  cr_assert (strstr (g.out, "help") != NULL);
  tu_result_clear (&g);
  tu_result_clear (&h);

  tu_sbx (&r, NULL, "help", "nosuch", NULL);
  cr_assert_eq (r.status, 125);
  cr_assert_str_eq (r.out, "");
  cr_assert (one_line (r.err) && strstr (r.err, "'nosuch'") != NULL, "%s", r.err);
  tu_result_clear (&r);
}
