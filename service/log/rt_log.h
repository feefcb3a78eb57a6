/*
 * rt_log: the daemon's tiny leveled logger, one line per event on stderr.
 *
 * Owns: the process-wide log level. Calls only libc. Lines look like
 * `2026-11-26T04:40:00.123Z info call /pkg.Svc/Method OK 3.2ms 127.0.0.1:5`.
 * Loop-thread code and the writer thread may both log: each line is one
 * fprintf, which stdio locks, so lines never interleave.
 */
#ifndef RT_LOG_H
#define RT_LOG_H

typedef enum rt_log_level {
  RT_LOG_ERROR = 0,
  RT_LOG_WARN = 1,
  RT_LOG_INFO = 2,
  RT_LOG_DEBUG = 3,
} rt_log_level_t;

/* Lines above this level are dropped. Default RT_LOG_INFO. */
void rt_log_set_level(rt_log_level_t level);
rt_log_level_t rt_log_get_level(void);

/* Parses "error", "warn", "info" or "debug". Returns 0 or RT_EINVAL. */
int rt_log_level_parse(const char *name, rt_log_level_t *level);

/* 1 when a line at this level would be written. */
int rt_log_enabled(rt_log_level_t level);

/* Writes one line at level (printf-style, no trailing newline needed). */
void rt_log(rt_log_level_t level, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* RT_LOG_H */
