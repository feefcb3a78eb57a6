/*
 * store_fixture: what the storage tests share: a fresh store in a fresh
 * temporary directory per test (removed at the end, whatever happens), and
 * short helpers that apply one op and create the records most tests need.
 */
#ifndef RT_STORE_FIXTURE_H
#define RT_STORE_FIXTURE_H

#include "rt_store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

typedef struct fixture {
  char dir[64];
  rt_store_t *store;
} fixture_t;

/* cmocka setup/teardown: a store with source "idm-2023" and actors "iom",
 * "bgd" and "mex" (fx_setup), or an empty one (fx_setup_empty). */
int fx_setup(void **state);
int fx_setup_empty(void **state);
int fx_teardown(void **state);

/* Removes a directory tree. */
void fx_remove_tree(const char *dir);

/* Applies one op in its own batch; returns op->result (the batch itself
 * must commit). The caller releases op->reply with rt_write_ops_release. */
int fx_apply(rt_store_t *store, rt_write_op_t *op);
rt_write_op_t fx_op(rt_op_kind_t kind, const void *message);

/* An update op with an update mask (borrowed, like the message). */
rt_write_op_t fx_update_op(rt_op_kind_t kind, const void *message,
                           const char *const *mask, size_t mask_len);
/* Fails the test unless the verifier finds the store sound. */
void fx_expect_sound(rt_store_t *store);

int fx_create_source(rt_store_t *store, const char *id);
int fx_create_actor(rt_store_t *store, const char *id);

/* A valid recommendation from idm-2023 (static strings only). */
Rectrack__V1__Recommendation fx_recommendation(const char *title);
/* Creates it and returns the new id (caller frees), failing the test if
 * the create fails. */
char *fx_create_recommendation(rt_store_t *store,
                               const Rectrack__V1__Recommendation *rec);
Rectrack__V1__Commitment fx_commitment(const char *title);
/* An indicator from baseline (2020-01-01) to target (2030-01-01), no unit
 * and no direction; name is borrowed. */
Rectrack__V1__Indicator fx_indicator(const char *name, double baseline,
                                     double target);
char *fx_create_commitment(rt_store_t *store,
                           const Rectrack__V1__Commitment *com);
/* Records a follow-up with a status (a measurement with a value), as
 * recorded at noon (UTC) of the day as_of names, so that any day may be
 * reported on: the store refuses one after tomorrow. Returns op result. */
int fx_follow_up(rt_store_t *store, const char *subject_id, int status,
                 const char *as_of);
int fx_measure(rt_store_t *store, const char *commitment_id, double value,
               const char *as_of);

Rectrack__V1__Recommendation *fx_get_recommendation(rt_store_t *store,
                                                    const char *id);
Rectrack__V1__Commitment *fx_get_commitment(rt_store_t *store, const char *id);

#endif /* RT_STORE_FIXTURE_H */
