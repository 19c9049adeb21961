/* chokepoint: the output side of `chokepoint export` (engine/cli/export_out.h):
 * numbers in their shortest exact form, rows as CSV, JSON Lines or a JSON
 * array, and the output file, written beside OUT and renamed onto it. */
#include "export_out.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/error_impl.h"
#include "engine/output/publish_impl.h"

/* ---- numbers and text ---------------------------------------------------------- */

/* v in the shortest %.15g/%.16g/%.17g form that strtod reads back to the same
 * bits, into buf (>= 32 bytes); returns its length, 0 for NaN and infinities.
 * Whole numbers below 2^53 take a fast path (the same text as %.15g). */
int ckp_cli_fmt_double(char *buf, double v)
{
    if (!isfinite(v))
        return 0;
    if (v == 0.0) {
        if (signbit(v)) {
            memcpy(buf, "-0", 3);
            return 2;
        }
        memcpy(buf, "0", 2);
        return 1;
    }
    if (fabs(v) < 1e15 && v == (double)(int64_t)v)
        return snprintf(buf, 32, "%lld", (long long)(int64_t)v);
    /* Literal formats: glibc takes a slower path for a `*` precision. */
    int n = snprintf(buf, 32, "%.15g", v);
    if (strtod(buf, NULL) == v)
        return n;
    n = snprintf(buf, 32, "%.16g", v);
    if (strtod(buf, NULL) == v)
        return n;
    return snprintf(buf, 32, "%.17g", v);
}

/* Room for n more bytes in the row buffer. */
static int em_room(emitter *e, size_t n)
{
    if (e->len + n <= e->cap)
        return 1;
    size_t cap = e->cap ? e->cap : 4096;
    while (cap < e->len + n)
        cap *= 2;
    char *b = realloc(e->b, cap);
    if (!b) {
        e->nomem = 1;
        return 0;
    }
    e->b = b;
    e->cap = cap;
    return 1;
}

static void em_put(emitter *e, const char *s, size_t n)
{
    if (em_room(e, n)) {
        memcpy(e->b + e->len, s, n);
        e->len += n;
    }
}

static void em_putc(emitter *e, char ch)
{
    if (em_room(e, 1))
        e->b[e->len++] = ch;
}

static void put_csv_text(emitter *e, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        em_put(e, s, strlen(s));
        return;
    }
    em_putc(e, '"');
    for (; *s; s++) {
        if (*s == '"')
            em_putc(e, '"');
        em_putc(e, *s);
    }
    em_putc(e, '"');
}

static void put_json_text(emitter *e, const char *s)
{
    em_putc(e, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            em_putc(e, '\\');
            em_putc(e, (char)*p);
        } else if (*p < 0x20) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", *p);
            em_put(e, u, 6);
        } else {
            em_putc(e, (char)*p);
        }
    }
    em_putc(e, '"');
}

static void em_flush(emitter *e)
{
    if (e->len)
        fwrite(e->b, 1, e->len, e->fp);
    e->len = 0;
}

/* The header (CSV) or the opening bracket (JSON array); 0, or -1 out of memory. */
int ckp_cli_em_begin(emitter *e)
{
    if (e->fmt == FMT_CSV) {
        for (size_t c = 0; c < e->ncol; c++) {
            if (c)
                em_putc(e, ',');
            put_csv_text(e, e->cols[c]);
        }
        em_putc(e, '\n');
    } else {
        if (!(e->keys = calloc(e->ncol ? e->ncol : 1, sizeof *e->keys)))
            return -1;
        for (size_t c = 0; c < e->ncol; c++) {
            put_json_text(e, e->cols[c]);
            em_putc(e, ':');
            if (e->nomem || !(e->keys[c] = malloc(e->len + 1)))
                return -1;
            memcpy(e->keys[c], e->b, e->len);
            e->keys[c][e->len] = '\0';
            e->len = 0;
        }
        if (e->fmt == FMT_JSON)
            em_putc(e, '[');
    }
    em_flush(e);
    return e->nomem ? -1 : 0;
}

void ckp_cli_em_free(emitter *e)
{
    for (size_t c = 0; e->keys && c < e->ncol; c++)
        free(e->keys[c]);
    free(e->keys);
    free(e->b);
    e->keys = NULL;
    e->b = NULL;
}

void ckp_cli_em_row(emitter *e)
{
    e->col = 0;
    if (e->fmt == FMT_JSON)
        em_put(e, e->rows ? ",\n{" : "\n{", e->rows ? 3 : 2);
    else if (e->fmt == FMT_JSONL)
        em_putc(e, '{');
    e->rows++;
}

/* Before the next cell: the separator, and in JSON the key. */
static void em_key(emitter *e)
{
    if (e->col)
        em_putc(e, ',');
    if (e->fmt != FMT_CSV && e->col < e->ncol)
        em_put(e, e->keys[e->col], strlen(e->keys[e->col]));
    e->col++;
}

void ckp_cli_em_text(emitter *e, const char *s)
{
    em_key(e);
    if (e->fmt == FMT_CSV)
        put_csv_text(e, s);
    else
        put_json_text(e, s);
}

void ckp_cli_em_num(emitter *e, double v)
{
    em_key(e);
    if (!em_room(e, 32))
        return;
    int n = ckp_cli_fmt_double(e->b + e->len, v);
    if (n > 0)
        e->len += (size_t)n;
    else if (e->fmt != FMT_CSV)
        em_put(e, "null", 4);
}

void ckp_cli_em_int(emitter *e, long long v)
{
    em_key(e);
    if (em_room(e, 24))
        e->len += (size_t)snprintf(e->b + e->len, 24, "%lld", v);
}

void ckp_cli_em_row_end(emitter *e)
{
    if (e->fmt == FMT_CSV)
        em_putc(e, '\n');
    else if (e->fmt == FMT_JSONL)
        em_put(e, "}\n", 2);
    else
        em_putc(e, '}');
    em_flush(e);
}

void ckp_cli_em_end(emitter *e)
{
    if (e->fmt == FMT_JSON)
        em_put(e, e->rows ? "\n]\n" : "]\n", e->rows ? 3 : 2);
    em_flush(e);
}

/* ---- the output file: a temporary beside OUT, renamed onto it ---------------------- */


int ckp_cli_target_open(target *t, ckp_error *err)
{
    if (!t->path) {
        t->fp = stdout;
        return 0;
    }
    struct stat sb;
    if (!t->force && lstat(t->path, &sb) == 0) {
        CKP_FAIL(err, CKP_ERR_EXISTS, "%s exists; use --force to replace it", t->path);
        return -1;
    }
    if (stat(t->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        /* A directory is refused; a device or FIFO (/dev/null) is written in
         * place: renaming a file onto it would replace the device node. */
        if (S_ISDIR(sb.st_mode) || !(t->fp = fopen(t->path, "w"))) {
            CKP_FAIL(err, CKP_ERR_IO, "%s: cannot write to it: %s", t->path,
                     S_ISDIR(sb.st_mode) ? "a directory" : strerror(errno));
            return -1;
        }
        t->direct = 1;
        return 0;
    }
    char *stem = ckp_publish_stem(t->path);
    size_t cap = stem ? strlen(stem) + 12 : 0;
    if (!stem || !(t->tmp = malloc(cap))) {
        free(stem);
        CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
        return -1;
    }
    snprintf(t->tmp, cap, "%s.tmp-XXXXXX", stem);
    free(stem);
    int fd = mkstemp(t->tmp);
    if (fd < 0 || fchmod(fd, 0644) != 0 || !(t->fp = fdopen(fd, "w"))) {
        CKP_FAIL(err, CKP_ERR_IO, "%s: cannot create a file beside it: %s", t->path,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(t->tmp);
        }
        free(t->tmp);
        t->tmp = NULL;
        return -1;
    }
    return 0;
}

/* Flush; for a file also fsync, and publish (ok) or remove (!ok). */
int ckp_cli_target_close(target *t, int ok, ckp_error *err)
{
    if (!t->fp)
        return ok ? 0 : -1;
    int werr = fflush(t->fp) != 0 || ferror(t->fp);
    if (!t->path || t->direct) {
        if (t->direct && fclose(t->fp) != 0)
            werr = 1;
        t->fp = NULL;
        if (ok && werr) {
            CKP_FAIL(err, CKP_ERR_IO, "cannot write to %s", t->path ? t->path : "standard output");
            return -1;
        }
        return ok ? 0 : -1;
    }
    if (!werr && ok && fsync(fileno(t->fp)) != 0)
        werr = 1;
    int e = errno;
    if (fclose(t->fp) != 0)
        werr = 1;
    t->fp = NULL;
    int rc = 0;
    if (ok && werr) {
        CKP_FAIL(err, CKP_ERR_IO, "%s: cannot write: %s", t->path, strerror(e));
        rc = -1;
    } else if (ok && t->force) {
        if (rename(t->tmp, t->path) != 0) {
            CKP_FAIL(err, CKP_ERR_IO, "%s: cannot rename onto it: %s", t->path, strerror(errno));
            rc = -1;
        }
    } else if (ok) {
        /* link(2) fails if the target appeared meanwhile: never overwrite it. */
        if (link(t->tmp, t->path) != 0) {
            if (errno == EEXIST)
                CKP_FAIL(err, CKP_ERR_EXISTS, "%s exists; use --force to replace it", t->path);
            else
                CKP_FAIL(err, CKP_ERR_IO, "%s: cannot create it: %s", t->path, strerror(errno));
            rc = -1;
        }
    }
    if (!ok || rc != 0 || !t->force)
        unlink(t->tmp);
    if (ok && rc == 0) {
        /* The directory entry: fsync the directory (best effort). */
        const char *slash = strrchr(t->path, '/');
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - t->path) + 1 : 1,
                 slash ? t->path : ".");
        int dfd = open(dir, O_RDONLY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    free(t->tmp);
    t->tmp = NULL;
    return ok ? rc : -1;
}

