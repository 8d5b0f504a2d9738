/*
 * scan_progress.c - "scanned 1200/10000 objects" on standard error while a
 * long scan runs. Only on a terminal: in CI logs and pipes a carriage-return
 * progress line is noise, so nothing is written there. The line is rewritten
 * in place every 1% of the objects read so far (every 100 when that is
 * rarer; files are read as the scan goes, so the total grows) and blanked
 * with spaces at the end (no escape sequence, so dumb terminals work too) so
 * the report starts on a clean line.
 */
#include <stdio.h>
#include <unistd.h>

#include "scan.h"

void scan_progress_start(scan_progress *p)
{
    *p = (scan_progress){.tty = isatty(fileno(stderr))};
}

void scan_progress_update(scan_progress *p, size_t done, size_t total)
{
    if (!p->tty || total < SCAN_PROGRESS_MIN)
        return;
    size_t step = total / 100 < 100 ? 100 : total / 100;
    if (p->active && done % step != 0 && done != total)
        return;
    p->active = true;
    int n = fprintf(stderr, "\rscanned %zu/%zu objects", done, total);
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
