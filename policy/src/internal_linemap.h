/*
 * internal_linemap.h - building a line map (policy-internal).
 *
 * The loaders record where every node and member key of a JSON tree came
 * from while they build it; the public getters live in policy.h. Entries are
 * keyed by node pointer, so a node must be forgotten before it is freed while
 * the map lives on (otherwise a later node at the same address would inherit
 * its line).
 */
#ifndef SG_INTERNAL_LINEMAP_H
#define SG_INTERNAL_LINEMAP_H

#include <scoregate/policy.h>

/* A new, empty map, or NULL when out of memory. */
sg_linemap *sg_linemap_new(void);
/* Record the line of `node` (ignored for the shared true/false/null). 0 or -1 (out of memory). */
int sg_linemap_set_node(sg_linemap *m, const json_t *node, int line);
/* Record the line of key `key` of object `obj`. 0 or -1 (out of memory). */
int sg_linemap_set_member(sg_linemap *m, const json_t *obj, const char *key, int line);
/* Drop the entries of `node` itself: its line and, for an object, the lines
 * of its keys. Entries of its children stay (they may live on elsewhere). */
void sg_linemap_forget(sg_linemap *m, const json_t *node);

#endif
