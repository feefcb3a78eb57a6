/*
 * The list engine against a brute-force scan. A randomised data set (a
 * fixed seed: every run sees the same records) of recommendations and
 * commitments with every field a filter looks at, some archived, most
 * reported on; then hundreds of random filters and combinations, each
 * paged to its end at a random page size and compared with what a scan
 * of every record says should match: the same records, none twice, and
 * total_size exact unless flagged as an estimate. Commitments are
 * published or kept unpublished, and filtered on it. Paging while records
 * are added, and text search in several languages, have their own
 * stories.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_RECS 2600
#define N_COMS 400
#define TODAY "2026-06-15"

static const char *const sources[] = {"idm-2023", "gfmd-2024", "rcp-2025"};
static const char *const actors[] = {"iom", "bgd", "mex", "phl", "sen", "ecu"};
static const char *const themes[] = {"data", "remittances", "cities", "health"};
static const char *const sdgs[] = {"10.7", "10.c", "17.18", "3.8", "8.8"};
/* Words of the generated texts, and their folded forms. */
static const struct {
  const char *word, *folded;
} vocabulary[] = {
    {"Migración", "migracion"},   {"remesas", "remesas"},
    {"COSTS", "costs"},           {"cost", "cost"},
    {"Données", "donnees"},       {"santé", "sante"},
    {"labour", "labour"},         {"mobility", "mobility"},
    {"Straße", "strasse"},        {"Миграция", "миграция"},
    {"развитие", "развитие"},     {"recruitment", "recruitment"},
    {"remittance", "remittance"},
};
#define N_WORDS (sizeof vocabulary / sizeof vocabulary[0])

/* What the test knows of each record, independently of the store. */
typedef struct model {
  int status;
  int source, theme, lead;
  unsigned actors; /* bit i: addressed to actors[i] */
  unsigned sdg;    /* bit i: sdgs[i] */
  unsigned gcm;    /* bit i: objective i + 1 (1..8) */
  unsigned words;  /* bit i: vocabulary[i] in title or text */
  char due[11];    /* "" or a date */
  bool archived;
  uint64_t revision;
  /* commitments */
  int kind;
  int rec;         /* recommendation number answered, 0: none */
  int publication; /* PUBLISHED or UNPUBLISHED */
} model_t;

typedef struct world {
  fixture_t *fx;
  model_t recs[N_RECS + 1]; /* by number */
  model_t coms[N_COMS + 1];
  size_t n_recs, n_coms;
} world_t;

static unsigned long rng_state = 12345;
static unsigned rnd(unsigned n) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (unsigned)((rng_state >> 33) % n);
}

/* ---- building the world ---------------------------------------------- */

typedef struct strings {
  char *items[16];
  size_t n;
} strings_t;

/* Fills the parts of a record both entities share. */
static void random_model(model_t *m) {
  m->source = (int)rnd(3);
  m->theme = (int)rnd(4);
  m->lead = (int)rnd(6);
  m->actors = rnd(64);
  m->sdg = rnd(32);
  m->gcm = rnd(256);
  m->words = rnd(1u << N_WORDS);
  if (rnd(5) != 0)
    snprintf(m->due, sizeof m->due, "20%02u-%02u-%02u", 20 + rnd(10),
             1 + rnd(12), 1 + rnd(28));
  m->status = RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
}

static void text_of(const model_t *m, char *title, size_t title_len, char *text,
                    size_t text_len) {
  snprintf(title, title_len, "Record");
  text[0] = '\0';
  for (size_t i = 0; i < N_WORDS; i++) {
    if (!(m->words & (1u << i)))
      continue;
    char *target = i % 2 ? title : text;
    size_t cap = i % 2 ? title_len : text_len;
    size_t len = strlen(target);
    snprintf(target + len, cap - len, "%s%s,", len ? " " : "",
             vocabulary[i].word);
  }
}

static strings_t pick(const char *const *from, size_t n, unsigned bits) {
  strings_t out = {.n = 0};
  for (size_t i = 0; i < n; i++)
    if (bits & (1u << i))
      out.items[out.n++] = (char *)from[i];
  return out;
}

static void apply_batch(rt_store_t *store, rt_write_op_t *ops, size_t n) {
  rt_error_t err;
  assert_int_equal(rt_store_apply(store, ops, n, &err), 0);
  for (size_t i = 0; i < n; i++)
    if (ops[i].result != 0)
      fail_msg("op %zu: %s", i, ops[i].error.message);
}

static uint64_t revision_of(const rt_write_op_t *op) { return op->revision; }

/* Creates count recommendations from models[first..], in batches. */
static void create_recs(world_t *w, size_t first, size_t count) {
  enum { BATCH = 200 };
  static rt_write_op_t ops[BATCH];
  static Rectrack__V1__Recommendation recs[BATCH];
  static char titles[BATCH][400], texts[BATCH][400];
  static strings_t addressed[BATCH], sdg[BATCH];
  static int32_t gcm[BATCH][8];
  for (size_t done = 0; done < count;) {
    size_t n = count - done < BATCH ? count - done : BATCH;
    for (size_t i = 0; i < n; i++) {
      model_t *m = &w->recs[first + done + i];
      Rectrack__V1__Recommendation *r = &recs[i];
      *r = (Rectrack__V1__Recommendation)RECTRACK__V1__RECOMMENDATION__INIT;
      text_of(m, titles[i], sizeof titles[i], texts[i], sizeof texts[i]);
      r->title = titles[i];
      r->text = texts[i];
      r->source_id = (char *)sources[m->source];
      r->theme = (char *)themes[m->theme];
      r->lead_actor_id = (char *)actors[m->lead];
      addressed[i] = pick(actors, 6, m->actors);
      r->addressed_to = addressed[i].items;
      r->n_addressed_to = addressed[i].n;
      sdg[i] = pick(sdgs, 5, m->sdg);
      r->sdg_targets = sdg[i].items;
      r->n_sdg_targets = sdg[i].n;
      r->n_gcm_objectives = 0;
      for (int g = 0; g < 8; g++)
        if (m->gcm & (1u << g))
          gcm[i][r->n_gcm_objectives++] = g + 1;
      r->gcm_objectives = gcm[i];
      r->due_date = m->due;
      ops[i] = fx_op(RT_OP_CREATE_RECOMMENDATION, r);
    }
    apply_batch(w->fx->store, ops, n);
    for (size_t i = 0; i < n; i++)
      w->recs[first + done + i].revision = revision_of(&ops[i]);
    rt_write_ops_release(ops, n);
    done += n;
  }
}

static void create_coms(world_t *w) {
  enum { BATCH = 200 };
  static rt_write_op_t ops[BATCH];
  static Rectrack__V1__Commitment coms[BATCH];
  static char titles[BATCH][400], texts[BATCH][400], rec_ids[BATCH][16];
  static char *rec_lists[BATCH][1];
  static strings_t sdg[BATCH];
  static int32_t gcm[BATCH][8];
  for (size_t done = 0; done < N_COMS;) {
    size_t n = N_COMS - done < BATCH ? N_COMS - done : BATCH;
    for (size_t i = 0; i < n; i++) {
      model_t *m = &w->coms[1 + done + i];
      random_model(m);
      m->kind = 1 + (int)rnd(7);
      m->rec = rnd(3) ? 1 + (int)rnd(N_RECS) : 0;
      Rectrack__V1__Commitment *c = &coms[i];
      *c = (Rectrack__V1__Commitment)RECTRACK__V1__COMMITMENT__INIT;
      /* one in five kept unpublished; a create that leaves the field
       * unset stores a published commitment */
      m->publication = rnd(5)
                           ? RECTRACK__V1__PUBLICATION__PUBLICATION_PUBLISHED
                           : RECTRACK__V1__PUBLICATION__PUBLICATION_UNPUBLISHED;
      c->publication =
          m->publication == RECTRACK__V1__PUBLICATION__PUBLICATION_PUBLISHED &&
                  rnd(2)
              ? RECTRACK__V1__PUBLICATION__PUBLICATION_UNSPECIFIED
              : (Rectrack__V1__Publication)m->publication;
      text_of(m, titles[i], sizeof titles[i], texts[i], sizeof texts[i]);
      c->title = titles[i];
      c->text = texts[i];
      c->actor_id = (char *)actors[m->lead];
      c->source_id = (char *)sources[m->source];
      c->theme = (char *)themes[m->theme];
      c->kind = m->kind;
      sdg[i] = pick(sdgs, 5, m->sdg);
      c->sdg_targets = sdg[i].items;
      c->n_sdg_targets = sdg[i].n;
      c->due_date = m->due;
      c->n_gcm_objectives = 0;
      for (int g = 0; g < 8; g++)
        if (m->gcm & (1u << g))
          gcm[i][c->n_gcm_objectives++] = g + 1;
      c->gcm_objectives = gcm[i];
      if (m->rec) {
        snprintf(rec_ids[i], sizeof rec_ids[i], "R%d", m->rec);
        rec_lists[i][0] = rec_ids[i];
        c->recommendation_ids = rec_lists[i];
        c->n_recommendation_ids = 1;
      }
      ops[i] = fx_op(RT_OP_CREATE_COMMITMENT, c);
    }
    apply_batch(w->fx->store, ops, n);
    for (size_t i = 0; i < n; i++)
      w->coms[1 + done + i].revision = revision_of(&ops[i]);
    rt_write_ops_release(ops, n);
    done += n;
  }
  w->n_coms = N_COMS;
}

/* Follow-ups on most records (statuses at random), then some archived. */
static void report_and_archive(world_t *w, char prefix, model_t *models,
                               size_t n) {
  enum { BATCH = 200 };
  static rt_write_op_t ops[BATCH];
  static Rectrack__V1__FollowUp fus[BATCH];
  static Rectrack__V1__Recommendation rec_updates[BATCH];
  static Rectrack__V1__Commitment com_updates[BATCH];
  static char ids[BATCH][16];
  static size_t numbers[BATCH];
  static const char *const mask[] = {"archived"};
  for (int round = 0; round < 2; round++) {
    size_t k = 0;
    for (size_t number = 1; number <= n; number++) {
      bool archive = round == 1 && rnd(10) == 0;
      bool report = round == 0 && rnd(4) != 0;
      if (!archive && !report)
        continue;
      snprintf(ids[k], sizeof ids[k], "%c%zu", prefix, number);
      numbers[k] = number;
      if (report) {
        models[number].status = 1 + (int)rnd(7);
        fus[k] = (Rectrack__V1__FollowUp)RECTRACK__V1__FOLLOW_UP__INIT;
        fus[k].subject_id = ids[k];
        fus[k].status = models[number].status;
        fus[k].as_of = (char *)"2026-01-01";
        ops[k] = fx_op(RT_OP_RECORD_FOLLOW_UP, &fus[k]);
      } else if (prefix == 'R') {
        models[number].archived = true;
        rec_updates[k] =
            (Rectrack__V1__Recommendation)RECTRACK__V1__RECOMMENDATION__INIT;
        rec_updates[k].id = ids[k];
        rec_updates[k].archived = true;
        ops[k] =
            fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &rec_updates[k], mask, 1);
      } else {
        models[number].archived = true;
        com_updates[k] =
            (Rectrack__V1__Commitment)RECTRACK__V1__COMMITMENT__INIT;
        com_updates[k].id = ids[k];
        com_updates[k].archived = true;
        ops[k] =
            fx_update_op(RT_OP_UPDATE_COMMITMENT, &com_updates[k], mask, 1);
      }
      if (++k == BATCH || number == n) {
        apply_batch(w->fx->store, ops, k);
        for (size_t i = 0; i < k; i++)
          models[numbers[i]].revision = ops[i].revision;
        rt_write_ops_release(ops, k);
        k = 0;
      }
    }
    if (k) {
      apply_batch(w->fx->store, ops, k);
      for (size_t i = 0; i < k; i++)
        models[numbers[i]].revision = ops[i].revision;
      rt_write_ops_release(ops, k);
    }
  }
}

static world_t *world;

static int setup_world(void **state) {
  int rc = fx_setup_empty(state);
  if (rc != 0)
    return rc;
  fixture_t *fx = *state;
  world = calloc(1, sizeof *world);
  world->fx = fx;
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(fx_create_source(fx->store, sources[i]), 0);
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(fx_create_actor(fx->store, actors[i]), 0);
  for (size_t i = 1; i <= N_RECS; i++)
    random_model(&world->recs[i]);
  create_recs(world, 1, N_RECS);
  world->n_recs = N_RECS;
  create_coms(world);
  report_and_archive(world, 'R', world->recs, N_RECS);
  report_and_archive(world, 'C', world->coms, N_COMS);
  return 0;
}

static int teardown_world(void **state) {
  free(world);
  world = NULL;
  return fx_teardown(state);
}

/* ---- the oracle -------------------------------------------------------- */

/* A filter both the store and the oracle understand. */
typedef struct filter {
  int statuses[3];
  size_t n_statuses;
  int source, theme, actor, sdg, gcm; /* -1 / 0: none */
  int word;                           /* -1: none */
  int prefix_len;                     /* 0: whole word */
  int word2;                          /* -1: none */
  const char *due_before;
  bool overdue, include_archived;
  uint64_t updated_since;
  int kind, rec;   /* commitments */
  int publication; /* commitments; 0: either */
} filter_t;

static bool has_word(const model_t *m, int word, int prefix_len) {
  const char *term = vocabulary[word].folded;
  size_t len = prefix_len ? (size_t)prefix_len : strlen(term);
  for (size_t i = 0; i < N_WORDS; i++)
    if ((m->words & (1u << i)) && strncmp(vocabulary[i].folded, term, len) == 0)
      return true;
  return false;
}

static bool oracle(const model_t *m, const filter_t *f, bool commitment) {
  if (m->archived && !f->include_archived)
    return false;
  if (f->n_statuses) {
    bool any = false;
    for (size_t i = 0; i < f->n_statuses; i++)
      any = any || m->status == f->statuses[i];
    if (!any)
      return false;
  }
  if ((f->source >= 0 && m->source != f->source) ||
      (f->theme >= 0 && m->theme != f->theme) ||
      (f->sdg >= 0 && !(m->sdg & (1u << f->sdg))) ||
      (f->gcm && !(m->gcm & (1u << (f->gcm - 1)))))
    return false;
  if (f->actor >= 0 && m->lead != f->actor &&
      (commitment || !(m->actors & (1u << f->actor))))
    return false;
  if ((f->word >= 0 && !has_word(m, f->word, f->prefix_len)) ||
      (f->word2 >= 0 && !has_word(m, f->word2, 0)))
    return false;
  if (f->due_before && !(m->due[0] && strcmp(m->due, f->due_before) < 0))
    return false;
  bool open = m->status != RECTRACK__V1__STATUS__STATUS_IMPLEMENTED &&
              m->status != RECTRACK__V1__STATUS__STATUS_WITHDRAWN;
  if (f->overdue && !(m->due[0] && strcmp(m->due, TODAY) < 0 && open))
    return false;
  if (m->revision <= f->updated_since)
    return false;
  if (commitment &&
      ((f->kind && m->kind != f->kind) || (f->rec && m->rec != f->rec) ||
       (f->publication && m->publication != f->publication)))
    return false;
  return true;
}

static void random_filter(filter_t *f, bool commitment) {
  memset(f, 0, sizeof *f);
  f->source = f->theme = f->actor = f->sdg = f->word = f->word2 = -1;
  int parts = 1 + (int)rnd(3);
  for (int p = 0; p < parts; p++) {
    switch (rnd(commitment ? 15 : 12)) {
    case 0:
      f->n_statuses = 1 + rnd(3);
      for (size_t i = 0; i < f->n_statuses; i++)
        f->statuses[i] = 1 + (int)rnd(7);
      break;
    case 1:
      f->source = (int)rnd(3);
      break;
    case 2:
      f->theme = (int)rnd(4);
      break;
    case 3:
      f->actor = (int)rnd(6);
      break;
    case 4:
      f->sdg = (int)rnd(5);
      break;
    case 5:
      f->gcm = 1 + (int)rnd(8);
      break;
    case 6:
      f->word = (int)rnd(N_WORDS);
      f->prefix_len = rnd(2) ? 4 : 0;
      break;
    case 7:
      f->word2 = (int)rnd(N_WORDS);
      break;
    case 8:
      f->due_before = rnd(2) ? "2024-01-01" : "2027-06-30";
      break;
    case 9:
      f->overdue = true;
      break;
    case 10:
      f->include_archived = true;
      break;
    case 11:
      f->updated_since = 1000 + rnd(4000);
      break;
    case 12:
      f->kind = 1 + (int)rnd(7);
      break;
    case 13:
      f->publication = 1 + (int)rnd(2);
      break;
    default:
      f->rec = 1 + (int)rnd(N_RECS);
    }
  }
}

/* The store's request for f (strings point at static data or buf). */
static void request_of(const filter_t *f, char *query, size_t query_len,
                       Rectrack__V1__ListRecommendationsRequest *r,
                       Rectrack__V1__Status *statuses) {
  *r = (Rectrack__V1__ListRecommendationsRequest)
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  for (size_t i = 0; i < f->n_statuses; i++)
    statuses[i] = f->statuses[i];
  r->statuses = statuses;
  r->n_statuses = f->n_statuses;
  r->source_id = f->source >= 0 ? (char *)sources[f->source] : (char *)"";
  r->theme = f->theme >= 0 ? (char *)themes[f->theme] : (char *)"";
  r->actor_id = f->actor >= 0 ? (char *)actors[f->actor] : (char *)"";
  r->sdg_target = f->sdg >= 0 ? (char *)sdgs[f->sdg] : (char *)"";
  r->gcm_objective = f->gcm;
  query[0] = '\0';
  if (f->word >= 0) {
    /* the query is spelt like the texts, in another case */
    const char *word = vocabulary[f->word].word;
    snprintf(query, query_len, "%.*s", f->prefix_len ? f->prefix_len : 100,
             f->prefix_len ? vocabulary[f->word].folded : word);
  }
  if (f->word2 >= 0) {
    size_t len = strlen(query);
    snprintf(query + len, query_len - len, " %s", vocabulary[f->word2].folded);
  }
  r->query = query;
  r->due_before = (char *)(f->due_before ? f->due_before : "");
  r->overdue_only = f->overdue;
  r->as_of = (char *)TODAY;
  r->include_archived = f->include_archived;
  r->updated_since_revision = f->updated_since;
}

/* Pages the listing to its end, checking each page against expected[]
 * (numbers that match), and the totals. */
static void check_listing(rt_store_t *store, const filter_t *f, bool commitment,
                          const model_t *models, size_t n, size_t page_size) {
  Rectrack__V1__ListRecommendationsRequest rr;
  Rectrack__V1__Status statuses[3];
  char query[128];
  request_of(f, query, sizeof query, &rr, statuses);
  Rectrack__V1__ListCommitmentsRequest cr =
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  char rec_id[16] = "";
  if (commitment) {
    cr.statuses = rr.statuses;
    cr.n_statuses = rr.n_statuses;
    cr.source_id = rr.source_id;
    cr.theme = rr.theme;
    cr.actor_id = rr.actor_id;
    cr.sdg_target = rr.sdg_target;
    cr.gcm_objective = rr.gcm_objective;
    cr.query = rr.query;
    cr.due_before = rr.due_before;
    cr.overdue_only = rr.overdue_only;
    cr.as_of = rr.as_of;
    cr.include_archived = rr.include_archived;
    cr.updated_since_revision = rr.updated_since_revision;
    cr.kind = f->kind;
    cr.publication = f->publication;
    if (f->rec)
      snprintf(rec_id, sizeof rec_id, "R%d", f->rec);
    cr.recommendation_id = rec_id;
  }
  size_t expected = 0;
  for (size_t i = 1; i <= n; i++)
    expected += oracle(&models[i], f, commitment);
  bool *seen = calloc(n + 1, 1);
  size_t found = 0, pages = 0;
  char *token = strdup("");
  for (;;) {
    rt_store_reader_t *reader;
    rt_error_t err;
    assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
    ProtobufCMessage *resp = NULL;
    int rc;
    if (commitment) {
      cr.page_size = (int32_t)page_size;
      cr.page_token = token;
      rc = rt_store_list_commitments(
          reader, &cr, TODAY, (Rectrack__V1__ListCommitmentsResponse **)&resp,
          &err);
    } else {
      rr.page_size = (int32_t)page_size;
      rr.page_token = token;
      rc = rt_store_list_recommendations(
          reader, &rr, TODAY,
          (Rectrack__V1__ListRecommendationsResponse **)&resp, &err);
    }
    rt_store_reader_end(reader);
    if (rc != 0)
      fail_msg("list (query '%s'): %s", query, err.message);
    size_t count;
    char **ids = NULL, *next;
    int32_t total;
    bool estimate;
    if (commitment) {
      Rectrack__V1__ListCommitmentsResponse *c = (void *)resp;
      count = c->n_commitments;
      ids = malloc((count + 1) * sizeof *ids);
      for (size_t i = 0; i < count; i++)
        ids[i] = c->commitments[i]->id;
      next = c->next_page_token;
      total = c->total_size;
      estimate = c->total_size_is_estimate;
    } else {
      Rectrack__V1__ListRecommendationsResponse *r = (void *)resp;
      count = r->n_recommendations;
      ids = malloc((count + 1) * sizeof *ids);
      for (size_t i = 0; i < count; i++)
        ids[i] = r->recommendations[i]->id;
      next = r->next_page_token;
      total = r->total_size;
      estimate = r->total_size_is_estimate;
    }
    assert_true(count <= page_size);
    if (!estimate && (size_t)total != expected)
      fail_msg("total_size %d, expected %zu (%s; query '%s', page %zu; "
               "statuses %zu source %d theme %d actor %d sdg %d gcm %d "
               "due_before %s overdue %d archived %d since %llu kind %d "
               "rec %d)",
               total, expected, commitment ? "commitments" : "recs", query,
               pages, f->n_statuses, f->source, f->theme, f->actor, f->sdg,
               f->gcm, f->due_before ? f->due_before : "-", f->overdue,
               f->include_archived, (unsigned long long)f->updated_since,
               f->kind, f->rec);
    for (size_t i = 0; i < count; i++) {
      size_t number = strtoul(ids[i] + 1, NULL, 10);
      assert_true(number >= 1 && number <= n);
      if (seen[number])
        fail_msg("%s listed twice", ids[i]);
      if (!oracle(&models[number], f, commitment))
        fail_msg("%s does not match (query '%s')", ids[i], query);
      seen[number] = true;
      found++;
    }
    free(ids);
    free(token);
    token = strdup(next);
    protobuf_c_message_free_unpacked(resp, NULL);
    pages++;
    if (token[0] == '\0')
      break;
  }
  free(token);
  free(seen);
  if (found != expected)
    fail_msg("found %zu of %zu (query '%s')", found, expected, query);
}

static void test_every_filter_and_combination_matches_a_scan(void **state) {
  fixture_t *fx = *state;
  rng_state = 777;
  for (int i = 0; i < 160; i++) {
    filter_t f;
    bool commitment = i % 4 == 3;
    random_filter(&f, commitment);
    size_t page_size = 1 + rnd(rnd(4) == 0 ? 7 : 120);
    check_listing(fx->store, &f, commitment,
                  commitment ? world->coms : world->recs,
                  commitment ? world->n_coms : world->n_recs, page_size);
  }
}

static void test_no_filter_and_single_filters_count_exactly(void **state) {
  fixture_t *fx = *state;
  filter_t f;
  random_filter(&f, false);
  memset(&f, 0, sizeof f);
  f.source = f.theme = f.actor = f.sdg = f.word = f.word2 = -1;
  check_listing(fx->store, &f, false, world->recs, world->n_recs, 1000);
  f.include_archived = true;
  check_listing(fx->store, &f, false, world->recs, world->n_recs, 1000);
  f.include_archived = false;
  f.overdue = true;
  check_listing(fx->store, &f, false, world->recs, world->n_recs, 50);
  f.overdue = false;
  f.updated_since = 3000;
  check_listing(fx->store, &f, false, world->recs, world->n_recs, 50);
}

/* Two large conditions: the driver holds more than the exact-count bound,
 * so total_size is flagged as an estimate, and still near the truth. */
static void test_large_combinations_estimate_and_say_so(void **state) {
  fixture_t *fx = *state;
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.updated_since_revision = 1;
  req.include_archived = true;
  req.query = (char *)"record";
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  assert_int_equal(
      rt_store_list_recommendations(reader, &req, TODAY, &resp, &err), 0);
  rt_store_reader_end(reader);
  assert_true(resp->total_size_is_estimate);
  assert_true(resp->total_size > N_RECS / 2 && resp->total_size <= N_RECS * 2);
  assert_int_equal(resp->n_recommendations, 50);
  protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void reopen(fixture_t *fx, size_t budget) {
  rt_store_close(fx->store);
  rt_store_options_t options = {.list_budget = budget};
  rt_error_t err;
  assert_int_equal(rt_store_open(&fx->store, fx->dir, &options, &err), 0);
}

/* A small work budget cuts pages short (even empty) and their tokens
 * resume the walk: the listing as a whole is the same. */
static void test_a_spent_budget_cuts_the_page_not_the_listing(void **state) {
  fixture_t *fx = *state;
  reopen(fx, 40);
  rng_state = 4242;
  for (int i = 0; i < 40; i++) {
    filter_t f;
    bool commitment = i % 4 == 3;
    random_filter(&f, commitment);
    check_listing(fx->store, &f, commitment,
                  commitment ? world->coms : world->recs,
                  commitment ? world->n_coms : world->n_recs, 1 + rnd(80));
  }
  reopen(fx, 0);
}

/* Records added between pages: every record there for the whole walk is
 * listed once, and new ones that sort after the position come too. */
static void test_paging_while_records_are_added(void **state) {
  fixture_t *fx = *state;
  rng_state = 99;
  filter_t f;
  memset(&f, 0, sizeof f);
  f.source = f.actor = f.sdg = f.word = f.word2 = -1;
  f.theme = 1;
  size_t before = world->n_recs;
  bool *seen = calloc(N_RECS + 1, 1);
  Rectrack__V1__ListRecommendationsRequest rr;
  Rectrack__V1__Status statuses[3];
  char query[16];
  request_of(&f, query, sizeof query, &rr, statuses);
  char *token = strdup("");
  size_t added = 0;
  for (int page = 0;; page++) {
    rr.page_size = 37;
    rr.page_token = token;
    rt_store_reader_t *reader;
    rt_error_t err;
    assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
    Rectrack__V1__ListRecommendationsResponse *resp = NULL;
    assert_int_equal(
        rt_store_list_recommendations(reader, &rr, TODAY, &resp, &err), 0);
    rt_store_reader_end(reader);
    for (size_t i = 0; i < resp->n_recommendations; i++) {
      size_t number = strtoul(resp->recommendations[i]->id + 1, NULL, 10);
      assert_false(seen[number]);
      seen[number] = true;
    }
    free(token);
    token = strdup(resp->next_page_token);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (token[0] == '\0')
      break;
    if (page % 3 == 0 && world->n_recs < N_RECS) {
      /* two more, one of the listed theme */
      for (int k = 0; k < 2 && world->n_recs < N_RECS; k++) {
        model_t *m = &world->recs[world->n_recs + 1];
        random_model(m);
        m->theme = k == 0 ? 1 : 2;
        create_recs(world, world->n_recs + 1, 1);
        world->n_recs++;
        added++;
      }
    }
  }
  free(token);
  for (size_t i = 1; i <= before; i++)
    if (oracle(&world->recs[i], &f, false) && !seen[i])
      fail_msg("R%zu was skipped", i);
  for (size_t i = before + 1; i <= world->n_recs; i++)
    if (oracle(&world->recs[i], &f, false) && !seen[i])
      fail_msg("R%zu, added after the position, was not listed", i);
  free(seen);
  (void)added;
}

int main(void) {
  /* One world for the read-only tests; the paging story adds to it, so it
   * runs last. The world is small enough to rebuild, never shared with
   * another executable. */
  world = NULL;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_filter_and_combination_matches_a_scan),
      cmocka_unit_test(test_no_filter_and_single_filters_count_exactly),
      cmocka_unit_test(test_large_combinations_estimate_and_say_so),
      cmocka_unit_test(test_a_spent_budget_cuts_the_page_not_the_listing),
      cmocka_unit_test(test_paging_while_records_are_added),
  };
  return cmocka_run_group_tests(tests, setup_world, teardown_world);
}
