/*
 * tracker_backup: the Backup RPC (admin role), the same hot, compacting
 * copy as `rectrack-admin backup` (rt_store_backup), written by the
 * server into a directory on its own machine while reads and writes go
 * on.
 *
 * A copy takes as long as the data directory is large, so it runs on
 * libuv's thread pool (uv_queue_work), never on the loop thread; the
 * loop only checks the path's form. The worker then checks the target
 * against the filesystem, copies, and the loop answers. A job holds the
 * store, never the tracker, as the review's jobs do: a copy still running
 * at shutdown ends before the daemon closes the store (its final uv_run
 * waits for the thread pool), and the call it belonged to is gone by
 * then (cancel_backup).
 *
 * Where a copy may go (docs/security.md, "Backups through the API"): an
 * absolute path, written plainly (no "." or ".." components, no empty
 * ones, no control characters), whose parent directory exists, that does
 * not exist yet or is an empty directory (never a file, a symbolic link
 * or a directory with anything in it), and that is not inside the data
 * directory. The copy is a new directory of mode 0700, so an admin's
 * call can neither overwrite nor mix with a file that is already there.
 */
#include "tracker_call.h"

#include "rt_log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RT_BACKUP_MAX_PATH 1024

typedef struct backup_job {
  uv_work_t work;
  rt_call_t *call; /* NULL once the call is gone (cancel_backup) */
  rt_store_t *store;
  tracker_arena_t *arena; /* the request's: holds this job and the paths */
  const char *dir;
  const char *data_dir; /* the server's, or NULL */
  /* Worker side: set by work_backup, read by the loop after it. */
  int rc;
  rt_error_t err;
  uint64_t revision;
  int64_t size_bytes, duration_ms;
} backup_job_t;

static int64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the path's form (loop thread) ----------------------------------- */

static int check_form(const char *dir, rt_error_t *err) {
  size_t len = dir ? strlen(dir) : 0;
  if (len == 0)
    return rt_error_set(err, RT_EINVAL, "dir",
                        "dir: the directory to write the backup into is "
                        "required");
  if (len > RT_BACKUP_MAX_PATH)
    return rt_error_set(err, RT_EINVAL, "dir",
                        "dir: %zu bytes, at most %d allowed", len,
                        RT_BACKUP_MAX_PATH);
  if (dir[0] != '/')
    return rt_error_set(err, RT_EINVAL, "dir",
                        "dir: \"%.200s\" is not an absolute path; the backup "
                        "is written on the server's machine, and a relative "
                        "path would depend on where rectrackd was started",
                        dir);
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)dir[i] < 0x20 || dir[i] == 0x7f)
      return rt_error_set(err, RT_EINVAL, "dir",
                          "dir: holds a control character");
  /* Every component plain: what the path says is where the copy goes. */
  for (const char *part = dir + 1; *part != '\0';) {
    const char *slash = strchr(part, '/');
    size_t part_len = slash ? (size_t)(slash - part) : strlen(part);
    bool last = slash == NULL || slash[1] == '\0';
    if ((part_len == 0 && !last) || (part_len == 1 && part[0] == '.') ||
        (part_len == 2 && part[0] == '.' && part[1] == '.'))
      return rt_error_set(err, RT_EINVAL, "dir",
                          "dir: \"%.200s\" has an empty, \".\" or \"..\" "
                          "component; write the path plainly",
                          dir);
    if (slash == NULL)
      break;
    part = slash + 1;
  }
  if (strcmp(dir, "/") == 0)
    return rt_error_set(err, RT_EINVAL, "dir",
                        "dir: \"/\" cannot be a backup directory");
  return 0;
}

/* ---- the target (worker) --------------------------------------------- */

static bool is_empty_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return false;
  bool empty = true;
  for (struct dirent *e = readdir(d); e != NULL && empty; e = readdir(d))
    empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
  closedir(d);
  return empty;
}

/* The target as the filesystem resolves it: its parent's real path and
 * its own name, into out. */
static int resolve_target(const char *dir, char *out, size_t out_len,
                          rt_error_t *err) {
  char copy[RT_BACKUP_MAX_PATH + 1], parent[PATH_MAX];
  snprintf(copy, sizeof copy, "%s", dir);
  size_t len = strlen(copy);
  if (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  char *slash = strrchr(copy, '/');
  const char *name = slash + 1;
  *slash = '\0';
  const char *parent_path = copy[0] ? copy : "/";
  struct stat st;
  if (realpath(parent_path, parent) == NULL || stat(parent, &st) != 0 ||
      !S_ISDIR(st.st_mode))
    return rt_error_set(err, RT_EPRECOND, "dir",
                        "dir: the parent directory %.200s does not exist; "
                        "create it first (the backup creates only its own "
                        "directory)",
                        parent_path);
  if (access(parent, W_OK | X_OK) != 0)
    return rt_error_set(err, RT_EPRECOND, "dir",
                        "dir: rectrackd may not create a directory in "
                        "%.200s (%s)",
                        parent, strerror(errno));
  snprintf(out, out_len, "%s%s%s", parent, strcmp(parent, "/") ? "/" : "",
           name);
  return 0;
}

static int check_target(const backup_job_t *job, rt_error_t *err) {
  char target[PATH_MAX + RT_BACKUP_MAX_PATH], data[PATH_MAX];
  int rc = resolve_target(job->dir, target, sizeof target, err);
  if (rc != 0)
    return rc;
  struct stat st;
  if (lstat(target, &st) == 0 && !S_ISDIR(st.st_mode))
    return rt_error_set(err, RT_EPRECOND, "dir",
                        "dir: %.200s exists and is not a directory; a "
                        "backup never replaces a file",
                        job->dir);
  if (lstat(target, &st) == 0 && !is_empty_dir(target))
    return rt_error_set(err, RT_EPRECOND, "dir",
                        "dir: %.200s exists and is not empty; a backup goes "
                        "into a new or empty directory of its own",
                        job->dir);
  if (job->data_dir != NULL && realpath(job->data_dir, data) != NULL) {
    size_t len = strlen(data);
    if (strncmp(target, data, len) == 0 &&
        (target[len] == '\0' || target[len] == '/'))
      return rt_error_set(err, RT_EPRECOND, "dir",
                          "dir: %.200s is inside the data directory; a "
                          "backup belongs elsewhere (another disk, at best)",
                          job->dir);
  }
  return 0;
}

/* Worker: checks the target, notes the revision the copy holds at least,
 * and copies. */
static void work_backup(uv_work_t *work) {
  backup_job_t *job = work->data;
  int64_t start = monotonic_ms();
  rt_error_clear(&job->err);
  job->rc = check_target(job, &job->err);
  rt_store_reader_t *reader = NULL;
  if (job->rc == 0 &&
      (job->rc = rt_store_reader_begin(job->store, &reader, &job->err)) == 0) {
    job->revision = rt_store_revision(reader);
    rt_store_reader_end(reader);
  }
  if (job->rc == 0)
    job->rc = rt_store_backup(job->store, job->dir, &job->err);
  char data_file[RT_BACKUP_MAX_PATH + 16];
  snprintf(data_file, sizeof data_file, "%s/data.mdb", job->dir);
  struct stat st;
  if (job->rc == 0 && stat(data_file, &st) == 0)
    job->size_bytes = (int64_t)st.st_size;
  job->duration_ms = monotonic_ms() - start;
}

/* Loop: answers the call unless it is gone, then frees the job. */
static void after_backup(uv_work_t *work, int status) {
  backup_job_t *job = work->data;
  if (job->call != NULL && status != 0)
    rt_call_fail(job->call, RT_GRPC_CANCELLED, "the backup was cancelled");
  else if (job->call != NULL && job->rc != 0)
    tracker_fail(job->call, job->rc, &job->err);
  if (job->call != NULL && status == 0 && job->rc == 0) {
    Rectrack__V1__BackupResponse reply = RECTRACK__V1__BACKUP_RESPONSE__INIT;
    reply.dir = (char *)job->dir;
    reply.revision = job->revision;
    reply.size_bytes = job->size_bytes;
    reply.duration_ms = job->duration_ms;
    tracker_reply_message(job->call, &reply.base);
  }
  if (job->rc == 0 && status == 0)
    rt_log(RT_LOG_INFO, "backup into %s: revision %llu, %lld bytes, %lld ms",
           job->dir, (unsigned long long)job->revision,
           (long long)job->size_bytes, (long long)job->duration_ms);
  tracker_arena_free(job->arena); /* the job is in it */
}

static void cancel_backup(rt_call_t *call) {
  backup_job_t *job = rt_call_data(call);
  if (job != NULL)
    job->call = NULL; /* the copy goes on; nobody is told */
}

static void backup(rt_tracker_t *tracker, rt_call_t *call,
                   const rt_auth_principal_t *principal,
                   ProtobufCMessage *request, tracker_arena_t *arena) {
  const Rectrack__V1__BackupRequest *req = (const void *)request;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = check_form(req->dir, &err);
  if (rc != 0) {
    tracker_fail(call, rc, &err);
    tracker_arena_free(arena);
    return;
  }
  backup_job_t *job = tracker_arena_alloc(arena, sizeof *job);
  if (job == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    tracker_arena_free(arena);
    return;
  }
  memset(job, 0, sizeof *job);
  job->call = call;
  job->store = tracker->store;
  job->arena = arena;
  job->dir = req->dir; /* in the arena with the request */
  job->data_dir =
      tracker->data_dir ? tracker_arena_strdup(arena, tracker->data_dir) : NULL;
  job->work.data = job;
  rt_log(RT_LOG_INFO, "backup into %s requested by %s", job->dir,
         principal->name);
  if (uv_queue_work(tracker->loop, &job->work, work_backup, after_backup) !=
      0) {
    rt_call_fail(call, RT_GRPC_UNAVAILABLE, "cannot schedule the backup");
    tracker_arena_free(arena);
    return;
  }
  rt_call_set_data(call, job);
}

/* Backup touches the server as a whole: the admin role. */
const tracker_route_t tracker_backup_routes[] = {
    {TRACKER_PATH("Backup"), RT_METHOD_UNARY,
     &rectrack__v1__backup_request__descriptor, backup, cancel_backup,
     RT_AUTH_ROLE_ADMIN},
};
const size_t tracker_backup_route_count =
    sizeof tracker_backup_routes / sizeof tracker_backup_routes[0];
