/*
 * rt_log: formats one line (UTC timestamp, level, message) into a local
 * buffer and writes it with a single fprintf so that concurrent writers
 * never interleave within a line. Long messages are truncated rather than
 * allocated: a log line is for people, and a logger that can fail on
 * memory is worse than one that cuts a line short.
 */
#include "rt_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "rt_error.h"

static rt_log_level_t current_level = RT_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void rt_log_set_level(rt_log_level_t level) { current_level = level; }

rt_log_level_t rt_log_get_level(void) { return current_level; }

int rt_log_level_parse(const char *name, rt_log_level_t *level) {
  int i;

  for (i = 0; i <= RT_LOG_DEBUG; i++) {
    if (strcmp(name, level_names[i]) == 0) {
      *level = (rt_log_level_t)i;
      return 0;
    }
  }
  return RT_EINVAL;
}

int rt_log_enabled(rt_log_level_t level) { return level <= current_level; }

void rt_log(rt_log_level_t level, const char *format, ...) {
  char message[1024];
  char stamp[32];
  struct timeval now;
  struct tm utc;
  va_list args;

  if (!rt_log_enabled(level))
    return;
  gettimeofday(&now, NULL);
  gmtime_r(&now.tv_sec, &utc);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  fprintf(stderr, "%s.%03dZ %s %s\n", stamp, (int)(now.tv_usec / 1000),
          level_names[level], message);
}
