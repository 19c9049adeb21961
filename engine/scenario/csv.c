/* chokepoint: reading files for scenarios (see resolve_impl.h): a whole
 * regular file (never a FIFO or a device, which could block), and numeric CSV
 * tables named by a scenario, whose refusals point into the CSV file. */
#include "engine/scenario/resolve_impl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/scenario/values_impl.h"

static char *join_dir(const char *dir, const char *file)
{
    size_t ld = dir ? strlen(dir) : 0, lf = strlen(file);
    char *p = malloc(ld + lf + 2);
    if (!p)
        return NULL;
    if (file[0] == '/' || ld == 0) {
        memcpy(p, file, lf + 1);
    } else {
        memcpy(p, dir, ld);
        p[ld] = '/';
        memcpy(p + ld + 1, file, lf + 1);
    }
    return p;
}

char *ckp_file_read(const char *path, size_t limit, size_t *len, ckp_read_why *why)
{
    *why = CKP_READ_IO;
    /* Only regular files: a scenario naming a device or a FIFO must not hang,
     * so the type is checked before opening (opening a FIFO would block) and
     * again on the open descriptor (the name may have changed in between). */
    struct stat sb;
    if (stat(path, &sb) != 0)
        return NULL;
    if (!S_ISREG(sb.st_mode)) {
        errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        errno = EINVAL;
        return NULL;
    }
    /* the size decides before a byte is read */
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > limit) {
        fclose(f);
        *why = CKP_READ_TOO_BIG;
        return NULL;
    }
    /* room for the whole file and one more byte, so that a file which grew
     * since fstat is seen to; past the limit it is refused all the same */
    size_t cap = (size_t)sb.st_size + 2, n = 0;
    char *buf = malloc(cap);
    int failed = !buf;
    *why = buf ? CKP_READ_IO : CKP_READ_NOMEM;
    while (!failed) {
        if (n + 1 == cap) {
            if (n > limit) {
                *why = CKP_READ_TOO_BIG;
                failed = 1;
                break;
            }
            size_t ncap = cap - 1 > limit / 2 ? limit + 2 : 2 * cap;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                *why = CKP_READ_NOMEM;
                failed = 1;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!failed && ferror(f)) {
        *why = CKP_READ_IO;
        failed = 1;
    }
    fclose(f);
    if (failed) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The cells of one CSV line (cut in place at the commas): the header's names
 * checked against `names`, or the numbers of row `row` stored in out. */
static ckp_status csv_cells(ckp_rctx *c, char *line, int lineno, int header, int row, int cols,
                            char **names, double *out)
{
    ynode pos = {0};
    int col = 0;
    char *cell = line;
    for (;;) {
        char *comma = strchr(cell, ',');
        if (comma)
            *comma = '\0';
        char *t = cell;
        while (*t == ' ' || *t == '\t')
            t++;
        char *e = t + strlen(t);
        while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        pos.line = lineno;
        pos.col = (int)(t - line) + 1;
        if (col >= cols)
            return ckp_rc_fail(c, &pos, "expected %d columns, found more in row %d", cols, row + 1);
        if (header) {
            if (names && strcmp(t, names[col]) != 0)
                return ckp_rc_fail(c, &pos,
                                   "expected the header name '%s' in column %d, found '%s'",
                                   names[col], col + 1, t);
        } else {
            double v = 0;
            int k = ckp_val_parse_num(t, &v);
            if (k == 1)
                return ckp_rc_fail(c, &pos, "expected a number, found '%s' (row %d, column %d)", t,
                                   row + 1, col + 1);
            if (k == 2)
                return ckp_rc_fail(c, &pos,
                                   "expected a finite number, found '%s' (row %d, column %d)", t,
                                   row + 1, col + 1);
            if (k == 3)
                return ckp_rc_fail(c, &pos,
                                   "expected a number that a double can hold, found '%s', which "
                                   "underflows to 0 (row %d, column %d)",
                                   t, row + 1, col + 1);
            out[(size_t)row * cols + col] = v;
        }
        col++;
        if (!comma)
            break;
        cell = comma + 1;
    }
    if (col != cols) {
        pos.col = 1;
        return ckp_rc_fail(c, &pos, "expected %d columns, found %d in row %d", cols, col, row + 1);
    }
    return CKP_OK;
}

/* Read a rows x cols numeric CSV (commas; blank lines and lines starting
 * with '#' skipped). An optional first row of names, if present, must list
 * `names` in order. Errors point into the CSV file. */
ckp_status ckp_rc_read_csv(ckp_rctx *c, const ynode *at, const char *file, int rows, int cols,
                           char **names, double *out)
{
    if (c->no_files)
        return ckp_rc_fail(c, at,
                           "names a CSV file, but this scenario must be self-contained (every "
                           "matrix inline, as in a results file); no file is read");
    char *path = join_dir(c->basedir, file);
    if (!path)
        return ckp_rc_fail_code(c, CKP_ERR_NOMEM, at, "out of memory");
    size_t len = 0;
    ckp_read_why why;
    errno = 0;
    char *text = ckp_file_read(path, CKP_TREE_MAX_TEXT, &len, &why);
    if (!text) {
        ckp_status s;
        if (why == CKP_READ_TOO_BIG)
            s = ckp_rc_fail(c, at, "refusing CSV file '%s' larger than %zu bytes (256 MiB)",
                            path, CKP_TREE_MAX_TEXT);
        else if (why == CKP_READ_NOMEM)
            s = ckp_rc_fail_code(c, CKP_ERR_NOMEM, at, "out of memory reading CSV file '%s'",
                                 path);
        else
            s = ckp_rc_fail_code(c, CKP_ERR_IO, at, "cannot read CSV file '%s': %s", path,
                                 errno == EINVAL ? "not a regular file"
                                 : errno         ? strerror(errno)
                                                 : "read error");
        free(path);
        return s;
    }
    ckp_status st = CKP_OK;
    int row = 0, lineno = 0, first = 1;
    char *p = text;
    /* messages inside the CSV name the CSV, not the scenario */
    const char *saved_file = c->file;
    c->file = path;
    ynode pos = {0};
    /* a NUL byte would end the text early: refused where it is */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        pos.line = 1;
        const char *bol = text;
        for (const char *q = text; q < nul; q++)
            if (*q == '\n') {
                pos.line++;
                bol = q + 1;
            }
        pos.col = (int)(nul - bol) + 1;
        st = ckp_rc_fail(c, &pos, "expected text, found a NUL byte");
    }
    while (*p && !st) {
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        if (eol)
            *eol = '\0';
        lineno++;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r')
            p[--l] = '\0';
        char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '\0' || *q == '#') {
            p = next;
            continue;
        }
        int header = 0;
        if (first) {
            double dummy;
            char *comma = strchr(p, ',');
            char save = comma ? *comma : '\0';
            if (comma)
                *comma = '\0';
            char *t = p;
            while (*t == ' ')
                t++;
            header = ckp_val_parse_num(t, &dummy) == 1;
            if (comma)
                *comma = save;
        }
        first = 0;
        if (!header && row >= rows) {
            pos.line = lineno;
            pos.col = 1;
            st = ckp_rc_fail(c, &pos, "expected %d rows, found more", rows);
            break;
        }
        st = csv_cells(c, p, lineno, header, row, cols, names, out);
        if (!header)
            row++;
        p = next;
    }
    if (!st && row != rows) {
        pos.line = lineno;
        pos.col = 1;
        st = ckp_rc_fail(c, &pos, "expected %d rows, found %d", rows, row);
    }
    c->file = saved_file;
    free(text);
    free(path);
    return st;
}
