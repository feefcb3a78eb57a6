/*
 * libFuzzer target for the import format reader (built with -DRT_FUZZ=ON
 * and clang): any input must either parse or be rejected with problems,
 * never crash, leak or read out of bounds. Seed corpus: the JSON files in
 * tests/dataset/ and data/demo.json.
 */
#include "rt_dataset.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  int rc = rt_dataset_parse_buffer((const char *)data, size, "fuzz", &ds,
                                   &errors, NULL);
  if (rc == 0 && rt_dataset_count(ds) > 0)
    rt_dataset_resolve(ds, rt_dataset_count(ds) - 1, NULL);
  else if (rc == RT_EINVAL && errors.count == 0)
    abort(); /* rejected without saying why */
  rt_dataset_errors_free(&errors);
  rt_dataset_free(ds);
  return 0;
}
