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

#include <scoregate/doc.h>

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
        char *data, err[SG_ERRMAX];
        if (sg_file_read(argv[i], SG_MAX_INPUT, &data, &len, err, sizeof err) < 0) {
            fprintf(stderr, "bench_yaml_parse: %s\n", err);
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
