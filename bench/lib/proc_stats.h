/* What the C load generators read about time and about the server they drive: the monotonic
 * clock, the server's CPU time (at nanosecond precision from its threads' schedstat) and its
 * resident memory. Header-only, so each generator stays one C file that the harness can compile
 * on its own (peer_binary). */
#ifndef FERN_BENCH_PROC_STATS_H
#define FERN_BENCH_PROC_STATS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The run time of every thread of `pid` in seconds (utime+stime at nanosecond precision); -1 if
 * unreadable. */
static inline double sched_cpu_s(int pid) {
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR* dir = opendir(path);
  if (!dir) return -1;
  unsigned long long total = 0;
  int found = 0;
  for (struct dirent* e; (e = readdir(dir));) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/%d/task/%.16s/schedstat", pid, e->d_name);
    FILE* f = fopen(path, "r");
    if (!f) continue;
    unsigned long long ns;
    if (fscanf(f, "%llu", &ns) == 1) {
      total += ns;
      found = 1;
    }
    fclose(f);
  }
  closedir(dir);
  return found ? (double)total * 1e-9 : -1;
}

/* VmRSS of `pid` in KiB; -1 if unreadable. */
static inline long rss_kib(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) kib = strtol(line + 6, NULL, 10);
  fclose(f);
  return kib;
}

#endif
