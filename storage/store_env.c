/*
 * store_env: the LMDB environment of one data directory. Opening creates
 * the named databases, reads the schema-version record (store_open.c
 * decides what to do with it) and clears reader slots of dead processes.
 * Readers are MDB_NOTLS read transactions that are reset and renewed rather
 * than reallocated, so a thread may use any reader. Each open snapshot is
 * counted in the store's grow gate; map growth (store_grow_map, called by
 * the writer) waits until none is open, because mdb_env_set_mapsize must not
 * run while this process has a transaction open. So that a long snapshot (a
 * review export holds one while it renders) seldom makes the writer wait,
 * the writer also grows the map early, when more than half of it is used
 * and no snapshot happens to be open (store_grow_map_early). Backups and
 * counts live here too.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAP (64u * 1024 * 1024)
#define DEFAULT_MAX_MAP ((size_t)1 << 40)

int store_fetch(MDB_txn *txn, MDB_dbi dbi, const store_key_t *key, MDB_val *out,
                rt_error_t *err, const char *what) {
  MDB_val k = {key->len, (void *)key->data};
  return store_mdb_error(mdb_get(txn, dbi, &k, out), err, what);
}

int store_meta_get_u64(MDB_txn *txn, rt_store_t *store, const char *name,
                       uint64_t *out, rt_error_t *err) {
  MDB_val key = {strlen(name), (void *)name}, data;
  *out = 0;
  int rc = store_mdb_error(mdb_get(txn, store->meta, &key, &data), err,
                           "reading a counter");
  if (rc == RT_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (data.mv_size != 8)
    return rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: the counter '%s' is malformed", name);
  *out = store_get_u64(data.mv_data);
  return 0;
}

int store_meta_put_u64(MDB_txn *txn, rt_store_t *store, const char *name,
                       uint64_t value, rt_error_t *err) {
  uint8_t bytes[8];
  store_put_u64(bytes, value);
  MDB_val key = {strlen(name), (void *)name}, data = {8, bytes};
  return store_mdb_error(mdb_put(txn, store->meta, &key, &data, 0), err,
                         "writing a counter");
}

static int open_dbis(rt_store_t *store, MDB_txn *txn, rt_error_t *err) {
  static const unsigned idx_flags = MDB_CREATE | MDB_DUPSORT;
  struct {
    const char *name;
    unsigned flags;
    MDB_dbi *dbi;
  } dbs[STORE_DB_COUNT] = {
      {"meta", MDB_CREATE, &store->meta},
      {"sources", MDB_CREATE, &store->sources},
      {"actors", MDB_CREATE, &store->actors},
      {"recommendations", MDB_CREATE, &store->recs},
      {"commitments", MDB_CREATE, &store->coms},
      {"follow_ups", MDB_CREATE, &store->fups},
      {"follow_ups_by_date", MDB_CREATE, &store->fup_dates},
      {"measurements", MDB_CREATE, &store->meas},
      {"log", MDB_CREATE, &store->log},
      {"requests", MDB_CREATE, &store->requests},
      {"source_index", idx_flags, &store->src_idx},
      {"actor_index", idx_flags, &store->act_idx},
      {"recommendation_index", idx_flags | MDB_DUPFIXED, &store->rec_idx},
      {"commitment_index", idx_flags | MDB_DUPFIXED, &store->com_idx},
      {"recommendation_words", idx_flags | MDB_DUPFIXED, &store->rec_words},
      {"commitment_words", idx_flags | MDB_DUPFIXED, &store->com_words},
      {"recommendation_word_lists", MDB_CREATE, &store->rec_word_lists},
      {"commitment_word_lists", MDB_CREATE, &store->com_word_lists},
      {"themes", MDB_CREATE, &store->themes},
      {"dimension_keys", MDB_CREATE, &store->dim_keys},
  };
  for (size_t i = 0; i < STORE_DB_COUNT; i++) {
    int rc = store_mdb_error(
        mdb_dbi_open(txn, dbs[i].name, dbs[i].flags, dbs[i].dbi), err,
        "opening the databases");
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int open_env(rt_store_t *store, const char *dir,
                    const rt_store_options_t *options, rt_error_t *err) {
  const char *configuring = "configuring the environment";
  unsigned max_readers =
      options && options->max_readers ? options->max_readers : 126;
  int rc = store_mdb_error(mdb_env_create(&store->env), err,
                           "creating the environment");
  if (rc == 0)
    rc = store_mdb_error(mdb_env_set_maxdbs(store->env, STORE_DB_COUNT + 2),
                         err, configuring);
  if (rc == 0)
    rc = store_mdb_error(mdb_env_set_mapsize(store->env, store->map_size), err,
                         configuring);
  if (rc == 0)
    rc = store_mdb_error(mdb_env_set_maxreaders(store->env, max_readers), err,
                         configuring);
  if (rc != 0)
    return rc;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return rt_error_set(err, RT_EIO, NULL,
                        "cannot create data directory %s: %s", dir,
                        strerror(errno));
  rc = store_mdb_error(mdb_env_open(store->env, dir, MDB_NOTLS, 0600), err,
                       "opening the data directory");
  int dead = 0;
  if (rc == 0)
    rc = store_mdb_error(mdb_reader_check(store->env, &dead), err,
                         "clearing stale readers");
  MDB_envinfo info;
  if (rc == 0)
    rc = store_mdb_error(mdb_env_info(store->env, &info), err,
                         "reading the environment");
  if (rc != 0)
    return rc;
  if (info.me_mapsize > store->map_size)
    store->map_size = info.me_mapsize;
  return 0;
}

int store_env_open(const char *dir, const rt_store_options_t *options,
                   rt_store_t **store_out, MDB_txn **txn_out, uint64_t *version,
                   rt_error_t *err) {
  *store_out = NULL;
  *txn_out = NULL;
  *version = 0;
  rt_store_t *store = calloc(1, sizeof *store);
  if (store == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  store->map_size = options && options->initial_map_bytes
                        ? options->initial_map_bytes
                        : DEFAULT_MAP;
  store->max_map_size = options && options->max_map_bytes
                            ? options->max_map_bytes
                            : DEFAULT_MAX_MAP;
  store->list_budget = options ? options->list_budget : 0;
  if (store->max_map_size < store->map_size)
    store->max_map_size = store->map_size;
  if (pthread_mutex_init(&store->gate_lock, NULL) != 0) {
    free(store);
    return rt_error_set(err, RT_ENOMEM, NULL, "cannot create the grow gate");
  }
  if (pthread_cond_init(&store->gate_free, NULL) != 0) {
    pthread_mutex_destroy(&store->gate_lock);
    free(store);
    return rt_error_set(err, RT_ENOMEM, NULL, "cannot create the grow gate");
  }
  MDB_txn *txn = NULL;
  int rc = open_env(store, dir, options, err);
  if (rc == 0)
    rc = store_mdb_error(mdb_txn_begin(store->env, NULL, 0, &txn), err,
                         "opening the databases");
  if (rc == 0)
    rc = open_dbis(store, txn, err);
  if (rc == 0)
    rc = store_meta_get_u64(txn, store, "schema_version", version, err);
  if (rc == 0 && *version == 0) {
    MDB_stat stat;
    rc = store_mdb_error(mdb_stat(txn, store->log, &stat), err,
                         "reading the log");
    if (rc == 0 && stat.ms_entries != 0)
      rc = rt_error_set(err, RT_ECORRUPT, NULL,
                        "data directory %s has records but no schema "
                        "version record",
                        dir);
  }
  if (rc != 0)
    goto fail;
  *store_out = store;
  *txn_out = txn;
  return 0;
fail:
  if (txn)
    mdb_txn_abort(txn);
  if (rc == STORE_EMAPFULL)
    rc = rt_error_set(err, RT_ENOSPC, NULL,
                      "storage: the map of %s is too small to open it "
                      "(initial_map_bytes)",
                      dir);
  else if (rc == STORE_EMAPRESIZED)
    rc = rt_error_set(err, RT_EBUSY, NULL,
                      "storage: another process grew the map of %s while it "
                      "was opened; open it again",
                      dir);
  rt_store_close(store);
  return rc;
}

void rt_store_close(rt_store_t *store) {
  if (store == NULL)
    return;
  if (store->env)
    mdb_env_close(store->env);
  pthread_cond_destroy(&store->gate_free);
  pthread_mutex_destroy(&store->gate_lock);
  free(store);
}

size_t rt_store_map_size(rt_store_t *store) {
  pthread_mutex_lock(&store->gate_lock);
  size_t size = store->map_size;
  pthread_mutex_unlock(&store->gate_lock);
  return size;
}

size_t rt_store_used_bytes(rt_store_t *store) {
  MDB_envinfo info;
  MDB_stat stat;
  if (mdb_env_info(store->env, &info) != 0 ||
      mdb_env_stat(store->env, &stat) != 0)
    return 0;
  return ((size_t)info.me_last_pgno + 1) * stat.ms_psize;
}

void store_gate_enter(rt_store_t *store) {
  pthread_mutex_lock(&store->gate_lock);
  store->snapshots++;
  pthread_mutex_unlock(&store->gate_lock);
}

void store_gate_leave(rt_store_t *store) {
  pthread_mutex_lock(&store->gate_lock);
  if (--store->snapshots == 0)
    pthread_cond_broadcast(&store->gate_free);
  pthread_mutex_unlock(&store->gate_lock);
}

/* Doubles the map; the caller holds gate_lock and no snapshot is open. */
static int double_map(rt_store_t *store, rt_error_t *err) {
  int rc = 0;
  if (store->map_size >= store->max_map_size) {
    rc = rt_error_set(err, RT_ENOSPC, NULL,
                      "storage: the map is full: it reached its maximum of "
                      "%zu bytes (max_map_bytes)",
                      store->max_map_size);
  } else {
    size_t size = store->map_size * 2;
    if (size > store->max_map_size || size < store->map_size)
      size = store->max_map_size;
    rc = store_mdb_error(mdb_env_set_mapsize(store->env, size), err,
                         "growing the map");
    if (rc == 0)
      store->map_size = size;
  }
  return rc;
}

/* Doubles the map (up to the maximum). Called by the writer with no write
 * transaction open; waits for open read snapshots to end. New snapshots
 * are not held back meanwhile: a long one then delays only the writer,
 * never the other readers. */
int store_grow_map(rt_store_t *store, rt_error_t *err) {
  pthread_mutex_lock(&store->gate_lock);
  while (store->snapshots > 0)
    pthread_cond_wait(&store->gate_free, &store->gate_lock);
  int rc = double_map(store, err);
  pthread_mutex_unlock(&store->gate_lock);
  return rc;
}

void store_grow_map_early(rt_store_t *store) {
  size_t used = rt_store_used_bytes(store);
  if (used == 0)
    return;
  pthread_mutex_lock(&store->gate_lock);
  if (store->snapshots == 0 && used > store->map_size / 2 &&
      store->map_size < store->max_map_size)
    (void)double_map(store, NULL);
  pthread_mutex_unlock(&store->gate_lock);
}

/* Another process grew the map (MDB_MAP_RESIZED): adopt its size. Like
 * growth, this needs no transaction open in this process. */
int store_adopt_map_size(rt_store_t *store, rt_error_t *err) {
  pthread_mutex_lock(&store->gate_lock);
  while (store->snapshots > 0)
    pthread_cond_wait(&store->gate_free, &store->gate_lock);
  const char *adopting = "adopting the new map size";
  int rc = store_mdb_error(mdb_env_set_mapsize(store->env, 0), err, adopting);
  MDB_envinfo info;
  if (rc == 0)
    rc = store_mdb_error(mdb_env_info(store->env, &info), err, adopting);
  if (rc == 0)
    store->map_size = info.me_mapsize;
  pthread_mutex_unlock(&store->gate_lock);
  return rc;
}

/* ---- readers --------------------------------------------------------- */

static int begin_snapshot(rt_store_reader_t *reader, bool renew,
                          rt_error_t *err) {
  rt_store_t *store = reader->store;
  for (int attempt = 0;; attempt++) {
    store_gate_enter(store);
    int rc = store_mdb_error(
        renew ? mdb_txn_renew(reader->txn)
              : mdb_txn_begin(store->env, NULL, MDB_RDONLY, &reader->txn),
        err, "starting a read snapshot");
    if (rc == 0) {
      reader->active = true;
      return 0;
    }
    store_gate_leave(store);
    if (rc == STORE_EMAPRESIZED && attempt > 0)
      return rt_error_set(err, RT_EBUSY, NULL,
                          "storage: starting a read snapshot: the map keeps "
                          "being resized by another process");
    if (rc != STORE_EMAPRESIZED)
      return rc;
    rc = store_adopt_map_size(store, err);
    if (rc != 0)
      return rc;
  }
}

int rt_store_reader_begin(rt_store_t *store, rt_store_reader_t **out,
                          rt_error_t *err) {
  *out = NULL;
  rt_store_reader_t *reader = calloc(1, sizeof *reader);
  if (reader == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  reader->store = store;
  int rc = begin_snapshot(reader, false, err);
  if (rc != 0) {
    free(reader);
    return rc;
  }
  *out = reader;
  return 0;
}

void rt_store_reader_reset(rt_store_reader_t *reader) {
  if (reader == NULL || !reader->active)
    return;
  mdb_txn_reset(reader->txn);
  reader->active = false;
  store_gate_leave(reader->store);
}

int rt_store_reader_renew(rt_store_reader_t *reader, rt_error_t *err) {
  if (reader->active)
    rt_store_reader_reset(reader);
  return begin_snapshot(reader, true, err);
}

void rt_store_reader_end(rt_store_reader_t *reader) {
  if (reader == NULL)
    return;
  rt_store_reader_reset(reader);
  mdb_txn_abort(reader->txn);
  free(reader);
}

uint64_t rt_store_revision(rt_store_reader_t *reader) {
  uint64_t revision = 0;
  if (reader->active && store_meta_get_u64(reader->txn, reader->store,
                                           "revision", &revision, NULL) != 0)
    revision = 0;
  return revision;
}

int rt_store_count(rt_store_reader_t *reader, rt_store_counts_t *out,
                   rt_error_t *err) {
  rt_store_t *store = reader->store;
  MDB_dbi dbis[6] = {store->sources, store->actors, store->recs,
                     store->coms,    store->fups,   store->meas};
  int64_t *fields[6] = {&out->sources,         &out->actors,
                        &out->recommendations, &out->commitments,
                        &out->follow_ups,      &out->measurements};
  memset(out, 0, sizeof *out);
  if (!reader->active)
    return rt_error_set(err, RT_EINVAL, NULL, "reader has no open snapshot");
  for (int i = 0; i < 6; i++) {
    MDB_stat stat;
    int rc = store_mdb_error(mdb_stat(reader->txn, dbis[i], &stat), err,
                             "counting records");
    if (rc != 0)
      return rc;
    *fields[i] = (int64_t)stat.ms_entries;
  }
  out->revision = rt_store_revision(reader);
  return 0;
}

/* ---- backup ---------------------------------------------------------- */

/* Flushes a file (or directory) to disk; errno-style result. */
static int sync_path(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0)
    return errno;
  int rc = fsync(fd) == 0 ? 0 : errno;
  if (close(fd) != 0 && rc == 0)
    rc = errno;
  return rc;
}

int rt_store_backup(rt_store_t *store, const char *dir, rt_error_t *err) {
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return rt_error_set(err, RT_EIO, NULL,
                        "cannot create backup directory "
                        "%s: %s",
                        dir, strerror(errno));
  size_t len = strlen(dir) + sizeof "/data.mdb";
  char *path = malloc(len);
  if (path == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  snprintf(path, len, "%s/data.mdb", dir);
  struct stat st;
  int rc = 0;
  if (stat(path, &st) == 0) {
    rc = rt_error_set(err, RT_EEXIST, NULL,
                      "backup directory %s already holds a data file", dir);
    goto done;
  }
  /* The copy runs its own read transaction: count it in the grow gate so
   * the map is not resized under it. */
  store_gate_enter(store);
  rc = store_mdb_error(mdb_env_copy2(store->env, dir, MDB_CP_COMPACT), err,
                       "writing the backup");
  store_gate_leave(store);
  if (rc != 0)
    goto done;
  /* The copy holds every record: readable by its owner only, like the
   * store itself (mdb_env_copy2 creates it 0644 less the umask). */
  if (chmod(path, 0600) != 0) {
    rc = rt_error_set(err, RT_EIO, NULL, "cannot restrict %s to its owner: %s",
                      path, strerror(errno));
    goto done;
  }
  /* mdb_env_copy2 closes the copy without fsync: a backup reported done
   * must survive a power cut, so flush the file and its directory entry. */
  int src = sync_path(path, O_RDONLY);
  if (src == 0)
    src = sync_path(dir, O_RDONLY | O_DIRECTORY);
  if (src != 0)
    rc = rt_error_set(err, RT_EIO, NULL, "cannot flush the backup in %s: %s",
                      dir, strerror(src));
done:
  free(path);
  return rc;
}
