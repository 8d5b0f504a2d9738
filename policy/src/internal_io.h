/*
 * internal_io.h - reading input files inside the policy module.
 */
#ifndef SG_INTERNAL_IO_H
#define SG_INTERNAL_IO_H

#include <stddef.h>

#include "scoregate/policy.h"

/*
 * Read the whole of `path` ("-" is standard input) into a new malloc'd
 * buffer (*data, the caller frees; not NUL-terminated), refusing directories
 * and more than SG_MAX_INPUT bytes. *name is the name to use in messages
 * ("<stdin>" or path; static or borrowed from path).
 */
int sg_read_input(const char *path, const char **name, char **data, size_t *len, char *err, size_t errlen);

#endif
