/*
 * scan_progress.c - "scanned 1200/10000 objects" on standard error while a
 * long scan runs. Only on a terminal: in CI logs and pipes a carriage-return
 * progress line is noise, so nothing is written there. The line is rewritten
 * in place at most every 1% (and at least every 100 objects) and erased at the
 * end so the report starts on a clean line.
 */
#include <stdio.h>
#include <unistd.h>

#include "scan.h"

void scan_progress_start(scan_progress *p, size_t total)
{
    p->total = total;
    p->active = total >= SCAN_PROGRESS_MIN && isatty(fileno(stderr));
    if (p->active)
        scan_progress_update(p, 0);
}

void scan_progress_update(scan_progress *p, size_t done)
{
    if (!p->active)
        return;
    size_t step = p->total / 100 < 100 ? 100 : p->total / 100;
    if (done % step != 0 && done != p->total)
        return;
    fprintf(stderr, "\rscanned %zu/%zu objects", done, p->total);
    fflush(stderr);
}

void scan_progress_end(scan_progress *p)
{
    if (!p->active)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->active = false;
}
