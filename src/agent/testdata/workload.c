// Workloads for the agent's end-to-end test, each with known hot functions and callers.
// Built twice: with frame pointers (agent_workload_fp) and without (agent_workload_nofp).
//
//   workload iters N          run_iters: N rounds of the cpu loop (fixed work, benchmarks)
//   workload cpu SECONDS      run_cpu → alpha_mid → alpha_leaf   (3/4 of the work)
//                             run_cpu → beta_mid  → beta_leaf    (1/4 of the work)
//   workload recurse SECONDS  run_recurse → recurse ×40 → recurse_leaf
//   workload syscall SECONDS  run_syscall → read(2) of /dev/zero (kernel frames)
//   workload block SECONDS    run_block sleeps 5 ms at a time in nanosleep (off-CPU)
//   workload fork SECONDS     run_fork forks a child every 20 ms; each child spends
//                             ~30 ms in child_spin and exits
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile uint64_t sink;

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// A leaf with no calls: xorshift rounds.
NOINLINE static uint64_t Spin(uint64_t rounds, uint64_t x) {
  for (uint64_t i = 0; i < rounds; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

// The "+ 1"s keep calls from becoming tail calls, so every frame stays on the stack.
NOINLINE uint64_t alpha_leaf(uint64_t x) { return Spin(300000, x) + 1; }
NOINLINE uint64_t alpha_mid(uint64_t x) { return alpha_leaf(x) + 1; }
NOINLINE uint64_t beta_leaf(uint64_t x) { return Spin(100000, x) + 1; }
NOINLINE uint64_t beta_mid(uint64_t x) { return beta_leaf(x) + 1; }

NOINLINE void run_cpu(double seconds) {
  double end = Now() + seconds;
  uint64_t x = 88172645463325252ull;
  while (Now() < end) {
    x = alpha_mid(x);
    x = beta_mid(x);
  }
  sink = x;
}

NOINLINE void run_iters(long n) {
  uint64_t x = 88172645463325252ull;
  for (long i = 0; i < n; ++i) {
    x = alpha_mid(x);
    x = beta_mid(x);
  }
  sink = x;
}

NOINLINE uint64_t recurse_leaf(uint64_t x) { return Spin(200000, x) + 1; }
NOINLINE uint64_t recurse(int depth, uint64_t x) {
  if (depth == 0) return recurse_leaf(x);
  return recurse(depth - 1, x) + 1;  // not a tail call: every frame stays
}

NOINLINE void run_recurse(double seconds) {
  double end = Now() + seconds;
  uint64_t x = 1;
  while (Now() < end) x = recurse(40, x);
  sink = x;
}

NOINLINE void run_syscall(double seconds) {
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) exit(2);
  static char buf[1 << 20];
  double end = Now() + seconds;
  while (Now() < end) {
    for (int i = 0; i < 10; ++i) {
      if (read(fd, buf, sizeof(buf)) < 0) exit(3);
    }
  }
  close(fd);
}

NOINLINE void run_block(double seconds) {
  double end = Now() + seconds;
  struct timespec ts = {0, 5000000};
  while (Now() < end) nanosleep(&ts, NULL);
}

NOINLINE uint64_t child_spin(double seconds) {
  double end = Now() + seconds;
  uint64_t x = 7;
  while (Now() < end) x = Spin(10000, x) + 1;
  return x;
}

NOINLINE void run_fork(double seconds) {
  double end = Now() + seconds;
  while (Now() < end) {
    pid_t pid = fork();
    if (pid == 0) {
      sink = child_spin(0.03);
      _exit(0);
    }
    usleep(20000);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
  }
  while (wait(NULL) > 0) {
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s iters|cpu|recurse|syscall|block|fork SECONDS\n", argv[0]);
    return 1;
  }
  double seconds = atof(argv[2]);
  if (strcmp(argv[1], "iters") == 0) {
    run_iters(atol(argv[2]));
  } else if (strcmp(argv[1], "cpu") == 0) {
    run_cpu(seconds);
  } else if (strcmp(argv[1], "recurse") == 0) {
    run_recurse(seconds);
  } else if (strcmp(argv[1], "syscall") == 0) {
    run_syscall(seconds);
  } else if (strcmp(argv[1], "block") == 0) {
    run_block(seconds);
  } else if (strcmp(argv[1], "fork") == 0) {
    run_fork(seconds);
  } else {
    fprintf(stderr, "unknown workload %s\n", argv[1]);
    return 1;
  }
  return 0;
}
