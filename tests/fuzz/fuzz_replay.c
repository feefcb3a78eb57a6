/*
 * fuzz_replay: runs a libFuzzer target's inputs without libFuzzer, so
 * that the seed corpus and every regression input also run in the normal
 * (gcc, sanitized) build of the tests. Linked with one target's
 * LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize, if it has one).
 *
 *   fuzz_replay [--expect] [--verbose] PATH...
 *
 * Each PATH is an input file or a directory of them (every regular file
 * in it, in name order). With --expect, each input's file name ends in
 * the outcome its calls must come to ("CreateSource.secretariat.OK",
 * "GetSource.none.UNAUTHENTICATED"; see fuzz_outcome_observer), so that a
 * corpus of calls the server no longer understands fails instead of
 * silently fuzzing nothing. --verbose prints each input's outcome and
 * time. Exits 0 when every input ran (and matched).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Defined by fuzz_server.c when the target runs the server; else its
 * address is NULL, nothing is observed and --expect is refused. */
extern __attribute__((weak)) void (*fuzz_outcome_observer)(const char *outcome);

static char last_outcome[1024];
static bool outcome_seen;
static bool verbose;

static void observe(const char *outcome) {
  snprintf(last_outcome, sizeof last_outcome, "%s", outcome);
  outcome_seen = true;
}

static int read_file(const char *path, uint8_t **data, size_t *size) {
  FILE *file = fopen(path, "rb");
  long len;

  *data = NULL;
  if (file == NULL || fseek(file, 0, SEEK_END) != 0 ||
      (len = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0) {
    if (file != NULL)
      fclose(file);
    return -1;
  }
  *data = malloc(len > 0 ? (size_t)len : 1);
  if (*data == NULL || fread(*data, 1, (size_t)len, file) != (size_t)len) {
    free(*data);
    fclose(file);
    return -1;
  }
  fclose(file);
  *size = (size_t)len;
  return 0;
}

/* The outcome a file name promises: what follows its last '.'. */
static const char *expected_outcome(const char *path) {
  const char *base = strrchr(path, '/');
  const char *dot;

  base = base ? base + 1 : path;
  dot = strrchr(base, '.');
  return dot ? dot + 1 : "";
}

static int replay_file(const char *path, bool expect) {
  uint8_t *data;
  size_t size;

  if (read_file(path, &data, &size) != 0) {
    fprintf(stderr, "fuzz_replay: cannot read %s\n", path);
    return -1;
  }
  outcome_seen = false;
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  LLVMFuzzerTestOneInput(data, size);
  clock_gettime(CLOCK_MONOTONIC, &end);
  free(data);
  if (verbose)
    printf("%s: %s, %.3f ms\n", path, outcome_seen ? last_outcome : "-",
           (double)(end.tv_sec - start.tv_sec) * 1e3 +
               (double)(end.tv_nsec - start.tv_nsec) / 1e6);
  if (!expect)
    return 0;
  if (!outcome_seen || strcmp(last_outcome, expected_outcome(path)) != 0) {
    fprintf(stderr, "fuzz_replay: %s: expected %s, the server answered %s\n",
            path, expected_outcome(path),
            outcome_seen ? last_outcome : "nothing observed");
    return -1;
  }
  return 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of dir in name order; *count adds them. */
static int replay_dir(const char *dir, bool expect, size_t *count) {
  DIR *handle = opendir(dir);
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *entry;
  int failed = 0;

  if (handle == NULL) {
    fprintf(stderr, "fuzz_replay: cannot open %s\n", dir);
    return -1;
  }
  while ((entry = readdir(handle)) != NULL) {
    if (entry->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **grown = realloc(names, cap * sizeof *names);
      if (grown == NULL)
        abort();
      names = grown;
    }
    size_t len = strlen(dir) + strlen(entry->d_name) + 2;
    names[n] = malloc(len);
    if (names[n] == NULL)
      abort();
    snprintf(names[n], len, "%s/%s", dir, entry->d_name);
    n++;
  }
  closedir(handle);
  qsort(names, n, sizeof *names, compare_names);
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
      if (replay_file(names[i], expect) != 0)
        failed = -1;
      (*count)++;
    }
    free(names[i]);
  }
  free(names);
  return failed;
}

int main(int argc, char **argv) {
  bool expect = false;
  size_t count = 0;
  int failed = 0;
  int first = 1;

  for (; first < argc && argv[first][0] == '-'; first++) {
    if (strcmp(argv[first], "--expect") == 0)
      expect = true;
    else if (strcmp(argv[first], "--verbose") == 0)
      verbose = true;
    else
      break;
  }
  if (first >= argc || argv[first][0] == '-') {
    fprintf(stderr, "usage: %s [--expect] [--verbose] PATH...\n", argv[0]);
    return 2;
  }
  if (&fuzz_outcome_observer != NULL)
    fuzz_outcome_observer = observe;
  else if (expect) {
    fprintf(stderr, "fuzz_replay: this target reports no outcomes\n");
    return 2;
  }
  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize(&argc, &argv);
  for (int i = first; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "fuzz_replay: no such input %s\n", argv[i]);
      failed = -1;
    } else if (S_ISDIR(st.st_mode)) {
      if (replay_dir(argv[i], expect, &count) != 0)
        failed = -1;
    } else {
      if (replay_file(argv[i], expect) != 0)
        failed = -1;
      count++;
    }
  }
  printf("fuzz_replay: %zu inputs replayed%s, %s\n", count,
         expect ? " with their expected outcomes" : "",
         failed ? "FAILED" : "no finding");
  return failed ? 1 : 0;
}
