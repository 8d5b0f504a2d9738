/*
 * yaml_parse.c - reference (c) of the benchmarks: the parsing limit of a
 * scan. It reads each file given (whole, as `scoregate scan` does) and runs
 * libyaml's parser over it to the end, event by event, building nothing.
 * Prints "documents N bytes B". Single-threaded, like the scan it is held
 * against.
 * Usage: bench_yaml_parse FILE...
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 65536 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *grown = realloc(data, cap);
            if (!grown)
                break;
            data = grown;
        }
        size_t n = fread(data + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_yaml_parse FILE...\n");
        return 2;
    }
    long documents = 0;
    size_t bytes = 0;
    for (int i = 1; i < argc; i++) {
        size_t len;
        char *data = read_file(argv[i], &len);
        if (!data) {
            fprintf(stderr, "bench_yaml_parse: cannot read %s\n", argv[i]);
            return 1;
        }
        bytes += len;
        yaml_parser_t parser;
        yaml_parser_initialize(&parser);
        yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
        for (bool done = false; !done;) {
            yaml_event_t ev;
            if (!yaml_parser_parse(&parser, &ev)) {
                fprintf(stderr, "bench_yaml_parse: %s: line %zu: %s\n", argv[i], parser.problem_mark.line + 1,
                        parser.problem ? parser.problem : "parse error");
                return 1;
            }
            documents += ev.type == YAML_DOCUMENT_START_EVENT;
            done = ev.type == YAML_STREAM_END_EVENT;
            yaml_event_delete(&ev);
        }
        yaml_parser_delete(&parser);
        free(data);
    }
    printf("documents %ld bytes %zu\n", documents, bytes);
    return 0;
}
