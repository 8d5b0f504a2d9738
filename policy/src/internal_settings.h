/*
 * internal_settings.h - reading the settings file and compiling the catalog:
 * what settings.c, loader.c, params.c, catalog_compile.c and
 * catalog_checks.c share. Nothing here is used after sg_policy_load returns.
 */
#ifndef POL_INTERNAL_SETTINGS_H
#define POL_INTERNAL_SETTINGS_H

#include <scoregate/doc.h>

#include "internal_policy.h"

/* The namespace scoregate itself runs in: excluded by default. */
#define POL_OWN_NAMESPACE "scoregate-system"

/* Where messages point: the file name and its line map (NULL for built-ins). */
typedef struct pol_loader {
    const char *name;
    const sg_linemap *lines;
    char *err;
    size_t errlen;
} pol_loader;

/* loader.c: typed reads of YAML mappings. Each returns 0, or -1 with
 * "NAME: line L: message" in ld->err, the line being that of obj[key], else
 * of `node`, else of `obj` (whichever the line map knows). */
int pol_fail(const pol_loader *ld, const json_t *obj, const char *key, const json_t *node, const char *fmt, ...);
/* Reject keys of `obj` not in the NULL-terminated `allowed` list. */
int pol_check_keys(const pol_loader *ld, const json_t *obj, const char *where, const char *const *allowed);
/* "a mapping", "a list", "a string", ... for messages. */
const char *pol_type_name(const json_t *v);
/* obj[key] of JSON type `type` (JSON_TRUE: a boolean, JSON_REAL: a number);
 * *out is NULL when it is absent or null and not `required`. */
int pol_get_typed(const pol_loader *ld, const json_t *obj, const char *key, json_type type, bool required,
                  const char *where, const json_t **out);
/* obj[key] as a list of strings, or *out NULL when absent. */
int pol_string_list(const pol_loader *ld, const json_t *obj, const char *key, const char *where,
                    const json_t **out);
/* obj.action into *out; returns 1 (and leaves *out) when there is none. */
int pol_parse_action(const pol_loader *ld, const json_t *obj, const char *where, sg_action *out);

/* params.c: the declarations of the common parameters (a new object), and
 * whether `name` is one of them. */
json_t *pol_common_parameters(void);
bool pol_common_parameter(const char *name);
/* The effective parameters (a new object): the `declared` defaults,
 * overridden by `given` (may be NULL), each checked against its type. */
int pol_effective_params(const pol_loader *ld, const json_t *declared, const json_t *given, const char *where,
                         json_t **out);

/* catalog_compile.c: compile obj[key] as an expression (a condition unless
 * `condition` is false) or a message template, checking what it reads
 * against the scope of `r`; *out is NULL when obj has no `key`. */
int pol_compile_part(const pol_loader *ld, const json_t *obj, const char *key, bool condition, const pol_rec *r,
                     pol_expr **out);
int pol_compile_template(const pol_loader *ld, const json_t *obj, const char *key, const pol_rec *r,
                         pol_template **out);
/* Compile the catalog into p->recs: the built-in documents of p->builtin,
 * then `custom` (may be NULL), each with its entry of `settings` (the
 * settings' recommendations section, may be NULL). */
int pol_compile_catalog(const pol_loader *ld, const pol_loader *builtin_ld, sg_policy *p,
                        const json_t *settings, const json_t *custom, sg_action default_action);
void pol_rec_free(pol_rec *r);

/* controllers.c: the settings' podControllers and scoregate's own into
 * p->controllers (before anything names a kind); their release. */
int pol_load_controllers(const pol_loader *ld, sg_policy *p);
void pol_controllers_free(sg_policy *p);
/* The names of kinds in obj[key] (a list of strings, already checked), each
 * "Kind" or "GROUP/Kind", resolved with their groups into *out (freed with
 * pol_kinds_free, also on error). */
int pol_kinds_compile(const pol_loader *ld, const sg_policy *p, const json_t *obj, const char *key, const char *where,
                      pol_kinds *out);

/* catalog_checks.c: once `r` is compiled, that every parameter it declares
 * is read, that the common parameters given can change a verdict, and that
 * its `validate` rules hold. */
int pol_check_params_read(const pol_loader *ld, const json_t *def, const pol_rec *r);
int pol_check_common_effect(const pol_loader *ld, const json_t *given_params, const pol_rec *r);
int pol_check_validations(const pol_loader *ld, const json_t *def, const json_t *given_params, const pol_rec *r);

#endif
