/*
 * rule_ctx.c - the context of one evaluation: variable bindings, an arena
 * for the strings and lists created while evaluating, and the JSON values
 * kept alive until the context is reset. A check allocates nothing when it
 * creates nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "internal_rule.h"

struct pol_arena_block {
    pol_arena_block *next;
    size_t used, size;
    char data[];
};

void pol_rule_ctx_init(pol_rule_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
}

void *pol_rule_arena_alloc(pol_rule_ctx *ctx, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    pol_arena_block *b = ctx->arena;
    if (!b || b->size - b->used < n) {
        size_t size = n > 4000 ? n : 4000;
        b = sg_malloc(sizeof *b + size);
        b->size = size;
        b->used = 0;
        b->next = ctx->arena;
        ctx->arena = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

/* Keep a JSON value created during evaluation alive until reset. */
const json_t *pol_rule_keep(pol_rule_ctx *ctx, json_t *j)
{
    if (ctx->ngarbage == ctx->capgarbage) {
        ctx->capgarbage = ctx->capgarbage ? ctx->capgarbage * 2 : 8;
        json_t **grown = sg_realloc(ctx->garbage, ctx->capgarbage * sizeof *grown);
        ctx->garbage = grown;
    }
    ctx->garbage[ctx->ngarbage++] = j;
    return j;
}

void pol_rule_ctx_reset(pol_rule_ctx *ctx)
{
    while (ctx->arena) {
        pol_arena_block *next = ctx->arena->next;
        free(ctx->arena);
        ctx->arena = next;
    }
    for (size_t i = 0; i < ctx->ngarbage; i++)
        json_decref(ctx->garbage[i]);
    ctx->ngarbage = 0;
    ctx->steps = 0;
    ctx->cut = false;
}

void pol_rule_ctx_free(pol_rule_ctx *ctx)
{
    pol_rule_ctx_reset(ctx);
    free(ctx->garbage);
    ctx->garbage = NULL;
    ctx->capgarbage = 0;
}
