/* chokepoint: the output side of `chokepoint export` (internal header of
 * the CLI; export_out.c). */
#ifndef CKP_CLI_EXPORT_OUT_H
#define CKP_CLI_EXPORT_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "chokepoint/error.h"

/* A row writer: CSV with a header line, JSON Lines, or a JSON array. A row
 * is built in a buffer and written with one fwrite; JSON keys are escaped
 * once, at the start. */
typedef enum { FMT_CSV, FMT_JSONL, FMT_JSON } out_format;

typedef struct emitter {
    FILE *fp;
    out_format fmt;
    char **cols;  /* column names */
    size_t ncol, col;
    long long rows;
    char **keys;  /* JSON: "name": per column */
    char *b;      /* the row being built */
    size_t len, cap;
    int nomem;
} emitter;

typedef struct target {
    const char *path; /* NULL: standard output */
    int force;
    char *tmp;
    FILE *fp;
    int direct; /* OUT is a device or FIFO: written in place, never replaced */
} target;

/* v in the shortest %.15g/%.16g/%.17g form that reads back to the same bits,
 * into buf (>= 32 bytes); its length, 0 for NaN and infinities. */
int ckp_cli_fmt_double(char *buf, double v);
/* Rows: begin (header or "["), per row: row, then text/num/int per column,
 * row_end; end; free. The emitter's fp, fmt and cols are set by the caller. */
int ckp_cli_em_begin(emitter *e);
void ckp_cli_em_free(emitter *e);
void ckp_cli_em_row(emitter *e);
void ckp_cli_em_text(emitter *e, const char *s);
void ckp_cli_em_num(emitter *e, double v);
void ckp_cli_em_int(emitter *e, long long v);
void ckp_cli_em_row_end(emitter *e);
void ckp_cli_em_end(emitter *e);
/* The output: standard output, or a temporary file beside t->path that
 * close(ok = 1) fsyncs and links (renames with force) onto it; close(ok = 0)
 * removes it. A device or FIFO target is written in place. */
int ckp_cli_target_open(target *t, ckp_error *err);
int ckp_cli_target_close(target *t, int ok, ckp_error *err);

#endif
