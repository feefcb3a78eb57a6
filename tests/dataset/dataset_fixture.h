/*
 * What the dataset tests share: parsing a document that must be valid.
 * A test that calls these fails, with every problem of the document
 * printed, when the document is not valid. The dataset is the caller's;
 * free it with rt_dataset_free.
 */
#ifndef DATASET_FIXTURE_H
#define DATASET_FIXTURE_H

#include "rt_dataset.h"

/* The import document text (NUL-terminated), labelled "test". */
rt_dataset_t *parse_text(const char *text);

/* tests/dataset/good.json, every kind of item and reference. */
rt_dataset_t *parse_good(void);

#endif /* DATASET_FIXTURE_H */
