/* bench/launch.c: the floor of P1, a bare local fork+exec of a command
   (what `sbx exec -- true` does at the least: start, fork, exec, wait),
   built by bench/run with the machine's cc. */
#include <sys/wait.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 2)
    return 2;
  pid_t pid = fork ();
  if (pid < 0)
    return 125;
  if (pid == 0)
    {
      execv (argv[1], argv + 1);
      _exit (127);
    }
  int status;
  if (waitpid (pid, &status, 0) < 0)
    return 125;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
