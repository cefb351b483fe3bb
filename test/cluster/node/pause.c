/*
 * The pod sandbox ("pause") process of the test cluster's real node: PID 1 of every pod,
 * holding its namespaces. It sleeps until SIGTERM or SIGINT and reaps any child that
 * gets re-parented to it. Built static by test/cluster/build-node-tools.sh and imported
 * into the node's containerd as registry.k8s.io/pause:<version kubelet expects>, so no
 * registry is ever contacted.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int signo) {
  (void)signo;
  _exit(0);
}

static void on_child(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("modeldeploy-pause\n");
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "pause: warning: not PID 1, reaping only own children\n");
  struct sigaction stop = {0};
  stop.sa_handler = on_stop;
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0) return 1;
  struct sigaction child = {0};
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &child, NULL) < 0) return 2;
  for (;;) pause();
  return 42;
}
