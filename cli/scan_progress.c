/*
 * scan_progress.c - "scanned 1200/10000 objects" on standard error while a
 * long scan runs. Only on a terminal: in CI logs and pipes a carriage-return
 * progress line is noise, so nothing is written there. The line is rewritten
 * in place every 1% of the objects (every 100 when that is rarer) and blanked
 * with spaces at the end (no escape sequence, so dumb terminals work too) so
 * the report starts on a clean line.
 */
#include <stdio.h>
#include <unistd.h>

#include "scan.h"

void scan_progress_start(scan_progress *p, size_t total)
{
    p->total = total;
    p->width = 0;
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
    int n = fprintf(stderr, "\rscanned %zu/%zu objects", done, p->total);
    if (n > p->width)
        p->width = n;
    fflush(stderr);
}

void scan_progress_end(scan_progress *p)
{
    if (!p->active)
        return;
    fprintf(stderr, "\r%*s\r", p->width, "");
    fflush(stderr);
    p->active = false;
}
