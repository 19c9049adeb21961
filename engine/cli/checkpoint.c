/* chokepoint: the checkpoint of `run -o FILE` (checkpoint.h).
 *
 * .NAME.ckpt is text lines then bytes:
 *     chokepoint-checkpoint 1
 *     <digest: key value lines: engine, schema, scenario, scenario_hash, seed,
 *      first_path, paths, antithetic, policies, month_stats, compress>
 *     done N                (paths done)
 *     records_bytes B       (length of .NAME.ckpt-records at that point)
 *     result_bytes R
 *     <R bytes: the accumulators, ckp_run_result_to_bytes>
 *     sum H                 (FNV-1a 64 of every byte before this line, hex)
 * .NAME.ckpt-records is a sequence of batches, each: u64 first path, u64 n
 * (host order), then for each run policy n * record doubles (host order): a
 * checkpoint is for resuming on the machine that wrote it.
 * The scenario enters the digest as the FNV-1a 64 hash of its resolved YAML
 * (which covers the files it reads, CSV included). */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/error_impl.h"
#include "engine/output/publish_impl.h"

#define CKPT_MAGIC "chokepoint-checkpoint 1\n"

/* FNV-1a, 64 bits (Fowler, Noll, Vo): a check against damage and a digest
 * of the scenario text, not a defence against forgery. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}
#define FNV_START 0xcbf29ce484222325u

static char *str_printf(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(fmt) + strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, a, b);
    return s;
}

/* A growing text buffer. */
typedef struct text {
    char *s;
    size_t n, cap;
    int bad;
} text;

static void text_add(text *t, const char *key, const char *fmt, ...)
{
    char val[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    /* One line per field: no newlines inside a value. */
    for (char *p = val; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t need = strlen(key) + strlen(val) + 3;
    if (t->n + need > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        while (cap < t->n + need)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->bad = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    t->n += (size_t)snprintf(t->s + t->n, t->cap - t->n, "%s %s\n", key, val);
}

ckp_status ckp_ckpt_init(ckp_ckpt *c, const char *target, const ckp_plan *plan, int compress,
                         ckp_error *err)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    const char *slash = strrchr(target, '/');
    size_t dirlen = slash ? (size_t)(slash - target) + 1 : 0;
    c->dir = malloc(dirlen + 2);
    if (c->dir) {
        if (dirlen)
            snprintf(c->dir, dirlen + 2, "%.*s", (int)(dirlen > 1 ? dirlen - 1 : 1), target);
        else
            strcpy(c->dir, ".");
    }
    char *stem = ckp_publish_stem(target); /* DIR/.NAME, shortened for long names */
    if (stem) {
        c->path = str_printf("%s.ckpt%s", stem, "");
        c->tmp = str_printf("%s.ckpt.new%s", stem, "");
        c->records = str_printf("%s.ckpt-records%s", stem, "");
        c->stale = str_printf("%s.tmp-%s", stem + dirlen, "");
    }
    free(stem);

    const ckp_scenario *sc = ckp_plan_scenario(plan);
    char *yaml = NULL;
    ckp_status st = ckp_scenario_to_yaml(sc, &yaml, err);
    if (st != CKP_OK)
        return st;
    text t = {NULL, 0, 0, 0};
    text_add(&t, "engine", "%s", ckp_version());
    text_add(&t, "schema", "%d", CKP_OUTPUT_SCHEMA_VERSION);
    text_add(&t, "scenario", "%s", ckp_scenario_name(sc));
    text_add(&t, "scenario_hash", "%016llx",
             (unsigned long long)fnv1a(FNV_START, yaml, strlen(yaml)));
    free(yaml);
    text_add(&t, "seed", "%llu", (unsigned long long)ckp_plan_seed(plan));
    text_add(&t, "first_path", "%lld", (long long)ckp_plan_first_path(plan));
    text_add(&t, "paths", "%lld", (long long)ckp_plan_paths(plan));
    text_add(&t, "antithetic", "%d", ckp_plan_antithetic(plan));
    char pol[4096] = "";
    for (int k = 0; k < ckp_plan_npolicies(plan); k++) {
        size_t l = strlen(pol);
        snprintf(pol + l, sizeof pol - l, "%s%s", k ? "," : "", ckp_plan_policy_name(plan, k));
    }
    text_add(&t, "policies", "%s", pol);
    text_add(&t, "month_stats", "%d", ckp_plan_month_stats(plan));
    text_add(&t, "compress", "%d", compress);
    c->digest = t.s;
    if (t.bad || !c->dir || !c->path || !c->tmp || !c->records || !c->stale || !c->digest)
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    return CKP_OK;
}

void ckp_ckpt_free(ckp_ckpt *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->path);
    free(c->tmp);
    free(c->records);
    free(c->dir);
    free(c->stale);
    free(c->digest);
    c->path = c->tmp = c->records = c->dir = c->stale = c->digest = NULL;
}

int ckp_ckpt_exists(const ckp_ckpt *c)
{
    struct stat stt;
    return stat(c->path, &stt) == 0;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    char *b = p;
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd); /* some file systems cannot; the rename is still atomic */
        close(fd);
    }
}

/* ---- Loading --------------------------------------------------------------- */

/* The value of `key` in the lines of s (copied into val), 0 if found. */
static int find_line(const char *s, const char *key, char *val, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = s; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > kl && !strncmp(p, key, kl) && p[kl] == ' ') {
            size_t vl = len - kl - 1 < cap - 1 ? len - kl - 1 : cap - 1;
            memcpy(val, p + kl + 1, vl);
            val[vl] = '\0';
            return 0;
        }
        p = e ? e + 1 : NULL;
    }
    return -1;
}

static ckp_status load_file(const char *path, char **out, size_t *n, ckp_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    struct stat stt;
    if (fd < 0 || fstat(fd, &stt) != 0) {
        ckp_status st = CKP_FAIL(err, CKP_ERR_IO, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return st;
    }
    char *b = malloc((size_t)stt.st_size + 1);
    if (!b || read_all(fd, b, (size_t)stt.st_size) != 0) {
        free(b);
        close(fd);
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot read", path);
    }
    close(fd);
    b[stt.st_size] = '\0';
    *out = b;
    *n = (size_t)stt.st_size;
    return CKP_OK;
}

/* Append s to the string in buf (cap bytes), cut short if need be. */
static void append(char *buf, size_t cap, const char *s)
{
    size_t l = strlen(buf), n = strlen(s);
    if (n > cap - 1 - l)
        n = cap - 1 - l;
    memcpy(buf + l, s, n);
    buf[l + n] = '\0';
}

/* Name every field of this run's digest that the checkpoint's differs in. */
static ckp_status compare_digest(const ckp_ckpt *c, const char *saved, ckp_error *err)
{
    char msg[1024] = "";
    for (const char *p = c->digest; *p;) {
        const char *e = strchr(p, '\n');
        const char *sp = memchr(p, ' ', (size_t)(e - p));
        char key[64], mine[512], theirs[512];
        snprintf(key, sizeof key, "%.*s", (int)(sp - p), p);
        snprintf(mine, sizeof mine, "%.*s", (int)(e - sp - 1), sp + 1);
        if (find_line(saved, key, theirs, sizeof theirs) != 0)
            snprintf(theirs, sizeof theirs, "(none)");
        if (strcmp(mine, theirs) != 0) {
            const char *parts[] = {msg[0] ? "; " : "",
                                   !strcmp(key, "scenario_hash") ? "scenario text" : key,
                                   " differs: checkpoint ", theirs, ", this run ", mine};
            for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
                append(msg, sizeof msg, parts[i]);
        }
        p = e + 1;
    }
    if (msg[0])
        return CKP_FAIL(err, CKP_ERR_USAGE,
                        "--resume refused: the checkpoint %s is of another run: %s (delete it "
                        "to start afresh)",
                        c->path, msg);
    return CKP_OK;
}

ckp_status ckp_ckpt_load(ckp_ckpt *c, const ckp_plan *plan, ckp_run_result **done,
                         ckp_error *err)
{
    *done = NULL;
    char *b = NULL;
    size_t n = 0;
    CKP_TRY(load_file(c->path, &b, &n, err));
    ckp_status st = CKP_OK;
    /* The checksum line ends the file. */
    char *sum = NULL;
    for (size_t i = n; i-- > 0;)
        if (i + 5 <= n && !strncmp(b + i, "\nsum ", 5)) {
            sum = b + i + 1;
            break;
        }
    char val[64];
    unsigned long long want = 0;
    if (n < strlen(CKPT_MAGIC) || strncmp(b, CKPT_MAGIC, strlen(CKPT_MAGIC)) != 0 || !sum ||
        sscanf(sum, "sum %llx", &want) != 1 ||
        fnv1a(FNV_START, b, (size_t)(sum - b)) != (uint64_t)want) {
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: not a checkpoint, or damaged (delete it)", c->path);
        goto out;
    }
    *sum = '\0'; /* the text lines stop before the result bytes anyway */
    char *rb = strstr(b, "\nresult_bytes ");
    unsigned long long rlen = 0, rec = 0;
    if (!rb || sscanf(rb, "\nresult_bytes %llu", &rlen) != 1 ||
        find_line(b, "records_bytes", val, sizeof val) != 0 || sscanf(val, "%llu", &rec) != 1) {
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: damaged (delete it)", c->path);
        goto out;
    }
    *rb = '\0'; /* the digest and counts: the lines before result_bytes */
    if ((st = compare_digest(c, b, err)) != CKP_OK)
        goto out;
    const char *blob = strchr(rb + 1, '\n');
    if (!blob || sum - blob < 2 || (size_t)(sum - blob - 2) != rlen) {
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: damaged (delete it)", c->path);
        goto out;
    }
    st = ckp_run_result_from_bytes(plan, (const unsigned char *)blob + 1, rlen, done, err);
    c->bytes = rec;
out:
    free(b);
    return st;
}

/* ---- Records --------------------------------------------------------------- */

ckp_status ckp_ckpt_lock(ckp_ckpt *c, const char *target, ckp_error *err)
{
    struct stat stt;
    c->created = stat(c->records, &stt) != 0;
    c->fd = open(c->records, O_RDWR | O_CREAT, 0644);
    if (c->fd < 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot create the checkpoint: %s", c->records,
                        strerror(errno));
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(c->fd, F_SETLK, &fl) != 0) {
        int e = errno;
        close(c->fd);
        c->fd = -1;
        if (e == EACCES || e == EAGAIN)
            return CKP_FAIL(err, CKP_ERR_EXISTS,
                            "another run of %s is using its checkpoint (%s); wait for it or "
                            "stop it",
                            target, c->records);
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot lock: %s", c->records, strerror(e));
    }
    return CKP_OK;
}

void ckp_ckpt_unlock_created(ckp_ckpt *c)
{
    if (c->created && c->fd >= 0)
        unlink(c->records);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

ckp_status ckp_ckpt_start(ckp_ckpt *c, ckp_error *err)
{
    if (ftruncate(c->fd, 0) != 0 || lseek(c->fd, 0, SEEK_SET) != 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot empty the checkpoint: %s", c->records,
                        strerror(errno));
    c->bytes = 0;
    return CKP_OK;
}

ckp_status ckp_ckpt_replay(ckp_ckpt *c, const ckp_plan *plan, const ckp_sink *writer,
                           const volatile sig_atomic_t *stop, ckp_error *err)
{
    int fd = c->fd;
    struct stat stt;
    if (fd < 0 || fstat(fd, &stt) != 0 || (uint64_t)stt.st_size < c->bytes ||
        ftruncate(fd, (off_t)c->bytes) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return CKP_FAIL(err, CKP_ERR_IO,
                        "%s: missing or shorter than its checkpoint says (delete %s to start "
                        "afresh)",
                        c->records, c->path);
    const ckp_layout *lay = ckp_plan_layout(plan);
    int npol = ckp_plan_npolicies(plan);
    double **rec = calloc((size_t)npol, sizeof *rec);
    uint64_t cap = 0, at = 0;
    int64_t next = ckp_plan_first_path(plan);
    ckp_status st = rec ? CKP_OK : CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    while (st == CKP_OK && at < c->bytes) {
        if (stop && *stop) {
            st = CKP_FAIL(err, CKP_ERR_CANCELLED, "stopped by a signal while reading the checkpoint back");
            break;
        }
        uint64_t head[2];
        if (c->bytes - at < sizeof head || read_all(fd, head, sizeof head) != 0) {
            st = CKP_FAIL(err, CKP_ERR_IO, "%s: cannot read a batch at byte %llu", c->records,
                          (unsigned long long)at);
            break;
        }
        at += sizeof head;
        uint64_t n = head[1], bytes = n * lay->record * sizeof(double);
        if ((int64_t)head[0] != next || n == 0 || n > (uint64_t)ckp_plan_paths(plan) ||
            (uint64_t)npol * bytes > c->bytes - at) {
            st = CKP_FAIL(err, CKP_ERR_IO, "%s: damaged at byte %llu (delete %s to start afresh)",
                          c->records, (unsigned long long)at, c->path);
            break;
        }
        if (n > cap) {
            for (int k = 0; k < npol && st == CKP_OK; k++) {
                double *q = realloc(rec[k], (size_t)bytes);
                if (!q)
                    st = CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
                else
                    rec[k] = q;
            }
            if (st != CKP_OK)
                break;
            cap = n;
        }
        for (int k = 0; k < npol && st == CKP_OK; k++)
            if (read_all(fd, rec[k], (size_t)bytes) != 0)
                st = CKP_FAIL(err, CKP_ERR_IO, "%s: cannot read", c->records);
        if (st == CKP_OK)
            st = writer->write_batch(writer->ctx, lay, next, (int64_t)n, npol,
                                     (const double *const *)rec, err);
        at += (uint64_t)npol * bytes;
        next += (int64_t)n;
    }
    if (rec)
        for (int k = 0; k < npol; k++)
            free(rec[k]);
    free(rec);
    if (st == CKP_OK && lseek(fd, 0, SEEK_END) != (off_t)c->bytes)
        st = CKP_FAIL(err, CKP_ERR_IO, "%s: cannot seek", c->records);
    return st;
}

static ckp_status tee_batch(void *ctx, const ckp_layout *lay, int64_t first_path, int64_t n,
                            int npol, const double *const *records, ckp_error *err)
{
    ckp_ckpt *c = ctx;
    uint64_t head[2] = {(uint64_t)first_path, (uint64_t)n};
    size_t bytes = (size_t)n * lay->record * sizeof(double);
    int bad = write_all(c->fd, head, sizeof head) != 0;
    for (int k = 0; k < npol && !bad; k++)
        bad = write_all(c->fd, records[k], bytes) != 0;
    if (bad)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot write the checkpoint: %s", c->records,
                        strerror(errno));
    c->bytes += sizeof head + (uint64_t)npol * bytes;
    return c->next->write_batch(c->next->ctx, lay, first_path, n, npol, records, err);
}

const ckp_sink *ckp_ckpt_sink(ckp_ckpt *c, const ckp_sink *writer)
{
    c->next = writer;
    c->sink.ctx = c;
    c->sink.write_batch = tee_batch;
    return &c->sink;
}

ckp_status ckp_ckpt_save(ckp_ckpt *c, const ckp_run_state *rs, ckp_error *err)
{
    if (fsync(c->fd) != 0)
        return CKP_FAIL(err, CKP_ERR_IO, "%s: fsync: %s", c->records, strerror(errno));
    ckp_run_result *snap = NULL;
    unsigned char *blob = NULL;
    size_t nblob = 0;
    CKP_TRY(ckp_run_snapshot(rs, &snap, err));
    ckp_status st = ckp_run_result_to_bytes(snap, &blob, &nblob, err);
    int64_t done = ckp_run_result_paths(snap);
    ckp_run_result_free(snap);
    if (st != CKP_OK)
        return st;
    size_t hn = strlen(CKPT_MAGIC) + strlen(c->digest) + 128;
    char *head = malloc(hn);
    if (!head) {
        free(blob);
        return CKP_FAIL(err, CKP_ERR_NOMEM, "out of memory");
    }
    int hl = snprintf(head, hn, "%s%sdone %lld\nrecords_bytes %llu\nresult_bytes %zu\n",
                      CKPT_MAGIC, c->digest, (long long)done, (unsigned long long)c->bytes,
                      nblob);
    /* The sum covers every byte up to the newline before its own line. */
    uint64_t h = fnv1a(fnv1a(fnv1a(FNV_START, head, (size_t)hl), blob, nblob), "\n", 1);
    char tail[40];
    int tl = snprintf(tail, sizeof tail, "\nsum %016llx\n", (unsigned long long)h);
    int fd = open(c->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int bad = fd < 0 || write_all(fd, head, (size_t)hl) != 0 || write_all(fd, blob, nblob) != 0 ||
              write_all(fd, tail, (size_t)tl) != 0 || fsync(fd) != 0;
    int e = errno;
    if (fd >= 0 && close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    free(head);
    free(blob);
    if (bad || rename(c->tmp, c->path) != 0) {
        if (!bad)
            e = errno;
        unlink(c->tmp);
        return CKP_FAIL(err, CKP_ERR_IO, "%s: cannot write the checkpoint: %s", c->path,
                        strerror(e));
    }
    sync_dir(c->dir);
    return CKP_OK;
}

void ckp_ckpt_remove(ckp_ckpt *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    unlink(c->path);
    unlink(c->tmp);
    unlink(c->records);
}

int ckp_ckpt_remove_stale(const ckp_ckpt *c)
{
    DIR *d = opendir(c->dir);
    if (!d)
        return 0;
    int removed = 0;
    size_t pl = strlen(c->stale);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, c->stale, pl) != 0 || strlen(e->d_name) != pl + 6)
            continue;
        char *full = str_printf("%s/%s", c->dir, e->d_name);
        if (full && unlink(full) == 0)
            removed++;
        free(full);
    }
    closedir(d);
    return removed;
}
