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

/* Messages point at a file and line through doc's sg_doc_reader (lines NULL for built-ins); the
 * typed reads of mappings are doc's too: sg_doc_fail, sg_doc_check_keys, sg_doc_get_typed,
 * sg_doc_string_list, sg_doc_type_name. */


/* loader.c: obj.action into *out; returns 1 (and leaves *out) when there is none. */
int pol_parse_action(const sg_doc_reader *ld, const json_t *obj, const char *where, sg_action *out);

/* params.c: the declarations of the common parameters (a new object), and
 * whether `name` is one of them. */
json_t *pol_common_parameters(void);
bool pol_common_parameter(const char *name);
/* The effective parameters (a new object): the `declared` defaults,
 * overridden by `given` (may be NULL), each checked against its type. */
int pol_effective_params(const sg_doc_reader *ld, const json_t *declared, const json_t *given, const char *where,
                         json_t **out);

/* catalog_compile.c: compile obj[key] as an expression (a condition unless
 * `condition` is false) or a message template, checking what it reads
 * against the scope of `r`; *out is NULL when obj has no `key`. */
int pol_compile_part(const sg_doc_reader *ld, const json_t *obj, const char *key, bool condition, const pol_rec *r,
                     pol_expr **out);
int pol_compile_template(const sg_doc_reader *ld, const json_t *obj, const char *key, const pol_rec *r,
                         pol_template **out);
/* Compile the catalog into p->recs: the built-in documents of p->builtin,
 * then `custom` (may be NULL), each with its entry of `settings` (the
 * settings' recommendations section, may be NULL). */
int pol_compile_catalog(const sg_doc_reader *ld, const sg_doc_reader *builtin_ld, sg_policy *p,
                        const json_t *settings, const json_t *custom, sg_action default_action);
void pol_rec_free(pol_rec *r);

/* controllers.c: the settings' podControllers and scoregate's own into
 * p->controllers (before anything names a kind); their release. */
int pol_load_controllers(const sg_doc_reader *ld, sg_policy *p);
void pol_controllers_free(sg_policy *p);
/* The names of kinds in obj[key] (a list of strings, already checked), each
 * "Kind" or "GROUP/Kind", resolved with their groups into *out (freed with
 * pol_kinds_free, also on error). */
int pol_kinds_compile(const sg_doc_reader *ld, const sg_policy *p, const json_t *obj, const char *key,
                      const char *where, pol_kinds *out);

/* catalog_checks.c: once `r` is compiled, that every parameter it declares
 * is read, that the common parameters given can change a verdict, and that
 * its `validate` rules hold. */
int pol_check_params_read(const sg_doc_reader *ld, const json_t *def, const pol_rec *r);
int pol_check_common_effect(const sg_doc_reader *ld, const json_t *given_params, const pol_rec *r);
int pol_check_validations(const sg_doc_reader *ld, const json_t *def, const json_t *given_params, const pol_rec *r);

#endif
