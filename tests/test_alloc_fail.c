/* Allocation-failure replay (after dav1d's tests/libfuzzer/alloc_fail.c).
 *
 * The test is linked with -Wl,--wrap=malloc,calloc,realloc,strdup,free, so
 * every allocation the static library makes goes through the wrappers below.
 * For each case (a scenario load, a small run, the stats summaries) a first
 * pass counts the N allocation calls the case makes; then for n = 1..N the
 * n-th call fails and the case must return an error with a message (NOMEM
 * preferably), leave its out pointer NULL, not crash or hang, and free every
 * allocation it made once its objects are freed. Each replay runs in a child
 * process, so one crash does not hide the others; the child reports the call
 * site of the failed allocation before carrying on, and the parent names it
 * (addr2line) in the failure message.
 *
 * usage: test_alloc_fail [CASE...]   (no CASE: all of them; see `cases`) */
#define _GNU_SOURCE /* dl_iterate_phdr */

#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chokepoint/chokepoint.h"
#include "engine/run/run_impl.h"
#include "engine/scenario/scenario_impl.h"

/* ---- the wrappers ---------------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
void __wrap_free(void *p);

#define NFRAMES 6        /* frames of the failed call's site */
#define TABLE (1u << 16) /* live tracked allocations, open addressing */

/* A live allocation: its caller only (a full backtrace of every allocation
 * would make the replay quadratic in unwinding). */
typedef struct live {
    void *p; /* NULL: empty; TOMB: deleted */
    size_t size;
    long seq;
    uintptr_t caller;
} live;

static live table[TABLE];
static char tomb_mark;
#define TOMB ((void *)&tomb_mark)
static long nlive;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int armed;            /* count (and maybe fail) allocation calls */
static long calls;           /* allocation calls while armed */
static long fail_at;         /* the call to fail, 1-based; 0: none */
static int report_fd = -1;   /* the pipe to the parent */
static uintptr_t load_bias;  /* of the executable, for addr2line */
static _Thread_local int busy; /* inside a wrapper (backtrace may allocate) */

/* What a child tells its parent: the site of the failed call as soon as it
 * fails, then the outcome. One write each, below PIPE_BUF, so atomic. */
typedef struct report {
    int kind; /* 1 site, 2 outcome */
    int nf;
    uintptr_t frame[NFRAMES];
    long calls, nlive;
    int status, out_left;
    uint64_t digest; /* of what the case made, when it returned OK */
    char message[512];
    int nleaks; /* the first few leaks */
    struct {
        size_t size;
        long seq;
        uintptr_t caller;
    } leak[4];
} report;

static size_t slot_of(const void *p)
{
    uintptr_t h = (uintptr_t)p >> 4;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15u;
    return (size_t)(h >> 20) & (TABLE - 1);
}

/* A return address as an offset into the executable, at the call itself. */
static uintptr_t code_offset(const void *ret)
{
    return (uintptr_t)ret - load_bias - 1;
}

/* The frames above the wrapper: skip this function, count_call and the
 * wrapper (all three kept out of line). */
__attribute__((noinline)) static int capture(uintptr_t *frame)
{
    void *f[NFRAMES + 3];
    int n = backtrace(f, NFRAMES + 3);
    int k = 0;
    for (int i = 3; i < n; i++)
        frame[k++] = code_offset(f[i]);
    return k;
}

static void track(void *p, size_t size, uintptr_t caller)
{
    if (nlive + 1 >= (long)TABLE) /* a full table would never end a probe */
        _exit(5);
    size_t i = slot_of(p);
    while (table[i].p && table[i].p != TOMB)
        i = (i + 1) & (TABLE - 1);
    table[i] = (live){.p = p, .size = size, .seq = calls, .caller = caller};
    nlive++;
}

static void untrack(const void *p)
{
    if (!p || !nlive)
        return;
    for (size_t i = slot_of(p); table[i].p; i = (i + 1) & (TABLE - 1))
        if (table[i].p == p) {
            table[i].p = TOMB;
            nlive--;
            return;
        }
}

/* Count a call while armed: 0 not counted, 1 counted, 2 counted and the one
 * to fail (its site is then sent to the parent at once). */
__attribute__((noinline)) static int count_call(void)
{
    if (!armed || busy)
        return 0;
    if (++calls != fail_at)
        return 1;
    report r = {.kind = 1};
    busy = 1;
    r.nf = capture(r.frame);
    busy = 0;
    if (report_fd >= 0 && write(report_fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(3);
    return 2;
}

/* The common path of the wrappers: count, maybe fail, allocate, track. */
#define ALLOCATE(expr, size)                                                              \
    do {                                                                                  \
        uintptr_t caller_ = code_offset(__builtin_return_address(0));                     \
        pthread_mutex_lock(&lock);                                                        \
        int counted_ = count_call();                                                      \
        void *p_ = counted_ == 2 ? NULL : (expr);                                         \
        if (p_ && counted_)                                                               \
            track(p_, (size), caller_);                                                   \
        pthread_mutex_unlock(&lock);                                                      \
        if (counted_ == 2)                                                                \
            errno = ENOMEM;                                                               \
        return p_;                                                                        \
    } while (0)

__attribute__((noinline)) void *__wrap_malloc(size_t n)
{
    ALLOCATE(__real_malloc(n), n);
}

__attribute__((noinline)) void *__wrap_calloc(size_t k, size_t n)
{
    ALLOCATE(__real_calloc(k, n), k * n);
}

__attribute__((noinline)) char *__wrap_strdup(const char *s)
{
    ALLOCATE(__real_strdup(s), strlen(s) + 1);
}

__attribute__((noinline)) void *__wrap_realloc(void *p, size_t n)
{
    uintptr_t caller = code_offset(__builtin_return_address(0));
    pthread_mutex_lock(&lock);
    int counted = count_call();
    void *q = counted == 2 ? NULL : __real_realloc(p, n);
    if (q || (p && n == 0)) /* moved, or freed by a zero size */
        untrack(p);
    if (q && counted)
        track(q, n, caller);
    pthread_mutex_unlock(&lock);
    if (counted == 2)
        errno = ENOMEM;
    return q;
}

void __wrap_free(void *p)
{
    pthread_mutex_lock(&lock);
    untrack(p);
    pthread_mutex_unlock(&lock);
    __real_free(p);
}

static void arm(void)
{
    pthread_mutex_lock(&lock);
    armed = 1;
    pthread_mutex_unlock(&lock);
}

static void disarm(void)
{
    pthread_mutex_lock(&lock);
    armed = 0;
    pthread_mutex_unlock(&lock);
}

/* ---- the cases ------------------------------------------------------------- */

/* A case arms the wrappers around the library calls under test only, frees
 * what they made, and returns their first non-OK status; *out_left is set
 * when a failed call left its out pointer set. On success *digest sums up
 * what the calls made, so that a call which survives a failed allocation
 * (a designed fallback) can be told from one that silently lost something. */
typedef struct tcase {
    const char *name;
    ckp_status (*run)(const struct tcase *c, ckp_error *err, int *out_left, uint64_t *digest);
    const char *file; /* scenario, relative to the source root */
    int memsink;
    int nomem_only; /* a failed allocation must be reported as CKP_ERR_NOMEM */
} tcase;

/* FNV-1a, 64 bit, over raw bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}
#define FNV0 0xcbf29ce484222325u

/* The resolved scenario (to_yaml expands every policy) and its diffs. */
static uint64_t scenario_digest(const ckp_scenario *sc)
{
    char *y = NULL;
    ckp_error e;
    if (ckp_scenario_to_yaml(sc, &y, &e) != CKP_OK)
        return 0;
    uint64_t h = fnv(FNV0, y, strlen(y));
    free(y);
    for (int p = 0; p < sc->npolicies; p++)
        h = fnv(h, sc->policy_diffs[p], strlen(sc->policy_diffs[p]));
    return h;
}

static uint64_t run_digest(const ckp_scenario *sc, const ckp_run_result *r, const ckp_memsink *ms)
{
    size_t cells = (size_t)r->npol * (size_t)sc->T * r->lay.obs_per_month;
    uint64_t h = fnv(FNV0, r->policy, sizeof *r->policy * (size_t)r->npol);
    if (r->month_sum) {
        h = fnv(h, r->month_sum, sizeof *r->month_sum * cells);
        h = fnv(h, r->hist, sizeof *r->hist * cells * CKP_HIST_BINS);
        h = fnv(h, r->hist_upper, sizeof *r->hist_upper * (size_t)r->npol *
                                      r->lay.obs_per_month * CKP_HIST_BINS);
    }
    for (int k = 0; ms && k < ms->npol; k++)
        h = fnv(h, ms->records[k], sizeof(double) * ms->record * (size_t)ms->paths);
    return h;
}

static char *source_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("CKP_SOURCE_ROOT");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", rel);
    return buf;
}

static ckp_status case_load(const tcase *c, ckp_error *err, int *out_left, uint64_t *digest)
{
    ckp_scenario *sc = NULL;
    arm();
    ckp_status st = ckp_scenario_load_file(source_path(c->file), &sc, err);
    disarm();
    *out_left = st != CKP_OK && sc != NULL;
    if (st == CKP_OK)
        *digest = scenario_digest(sc);
    ckp_scenario_free(sc);
    return st;
}

static ckp_status case_run(const tcase *c, ckp_error *err, int *out_left, uint64_t *digest)
{
    ckp_scenario *sc = NULL;
    ckp_error lerr;
    if (ckp_scenario_load_file(source_path(c->file), &sc, &lerr) != CKP_OK) {
        fprintf(stderr, "%s: cannot load %s: %s\n", c->name, c->file, lerr.message);
        _exit(4);
    }
    ckp_memsink *ms = c->memsink ? ckp_memsink_create() : NULL;
    if (c->memsink && !ms)
        _exit(4);
    ckp_run_options o;
    ckp_run_options_default(&o, sc);
    o.paths = 6; /* two batches' worth with batch 4, even for antithetic scenarios */
    o.batch = 4;
    o.threads = 1; /* one thread: the n-th allocation is the same call every time */
    o.month_stats = 1;
    ckp_run_result *res = NULL;
    arm();
    ckp_status st = ckp_run(sc, &o, ms ? &ms->sink : NULL, &res, err);
    disarm();
    *out_left = st != CKP_OK && res != NULL;
    if (st == CKP_OK)
        *digest = run_digest(sc, res, ms);
    ckp_run_result_free(res);
    ckp_memsink_free(ms);
    ckp_scenario_free(sc);
    return st;
}

static ckp_status case_stats(const tcase *c, ckp_error *err, int *out_left, uint64_t *digest)
{
    (void)c;
    enum { N = 200 }; /* above the sorts' insertion-sort cut-off */
    static double base[N], policy[N], x[N];
    for (int i = 0; i < N; i++) {
        base[i] = (double)((i * 37) % N) / 7.0;
        policy[i] = i % 5 == 0 ? base[i] : base[i] * 0.5; /* benefits 0 and > 0 */
    }
    ckp_summary s;
    ckp_benefit b;
    memset(&s, 0, sizeof s); /* the digest covers the padding too */
    memset(&b, 0, sizeof b);
    *out_left = 0;
    uint64_t h = FNV0;
    arm();
    ckp_status st = ckp_summary_compute(base, N, 0, NULL, &s, err);
    h = fnv(h, &s, sizeof s);
    for (int i = 0; i < N; i++) /* both zeros: the in-place sort keeps their signs */
        x[i] = i % 3 == 0 ? (i % 2 ? -0.0 : 0.0) : base[i];
    if (st == CKP_OK)
        st = ckp_summary_compute_inplace(x, N, 0, &s, err);
    h = fnv(fnv(h, &s, sizeof s), x, sizeof x);
    if (st == CKP_OK)
        st = ckp_benefit_compute(base, policy, N, 1, 1, 1.0e6, 12, NULL, &b, err);
    h = fnv(h, &b, sizeof b);
    for (int i = 0; i < N; i++)
        x[i] = i % 2 ? -0.0 : (i % 3 ? 0.0 : base[i] - policy[i]);
    if (st == CKP_OK)
        st = ckp_benefit_compute_inplace(x, N, 1, 1, 1.0e6, 12, &b, err);
    disarm();
    *digest = fnv(fnv(h, &b, sizeof b), x, sizeof x);
    return st;
}

/* load-rich found a leak of a policy change's copy when ckp_tree_set failed
 * on it (engine/scenario/policy.c), and the scenario and CSV readers
 * reporting a failed allocation as an I/O error; both fixed since. Loading
 * reports every failed allocation as out of memory. */
static const tcase cases[] = {
    {"stats", case_stats, NULL, 0, 0},
    {"load-minimal", case_load, "configs/examples/minimal.yaml", 0, 1},
    {"load-rich", case_load, "tests/scenarios/good/rich.yaml", 0, 1},
    {"run-minimal", case_run, "configs/examples/minimal.yaml", 0, 0},
    {"run-minimal-memsink", case_run, "configs/examples/minimal.yaml", 1, 0},
    {"run-rich", case_run, "tests/scenarios/good/rich.yaml", 0, 0},
    {"run-rich-memsink", case_run, "tests/scenarios/good/rich.yaml", 1, 0},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* ---- one replay in a child ------------------------------------------------- */

/* The outcome of one replay: the reports received and how the child ended. */
typedef struct outcome {
    int have_site, have_result;
    report site, result;
    int wstatus;
} outcome;

static void child(const tcase *c, long n, int fd)
{
    report_fd = fd;
    fail_at = n;
    alarm(120); /* a hang ends as SIGALRM */
    ckp_error err;
    err.message[0] = '\0';
    int out_left = 0;
    uint64_t digest = 0;
    ckp_status st = c->run(c, &err, &out_left, &digest);
    report r = {.kind = 2, .calls = calls, .nlive = nlive, .status = (int)st,
                .out_left = out_left, .digest = digest};
    snprintf(r.message, sizeof r.message, "%s", st == CKP_OK ? "" : err.message);
    for (size_t i = 0; i < TABLE && r.nleaks < 4; i++)
        if (table[i].p && table[i].p != TOMB) {
            r.leak[r.nleaks].size = table[i].size;
            r.leak[r.nleaks].seq = table[i].seq;
            r.leak[r.nleaks].caller = table[i].caller;
            r.nleaks++;
        }
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(3);
    _exit(0);
}

static int replay(const tcase *c, long n, outcome *o)
{
    memset(o, 0, sizeof *o);
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fd[0]);
        child(c, n, fd[1]);
    }
    close(fd[1]);
    report r;
    while (read(fd[0], &r, sizeof r) == (ssize_t)sizeof r) {
        if (r.kind == 1)
            o->site = r, o->have_site = 1;
        else
            o->result = r, o->have_result = 1;
    }
    close(fd[0]);
    if (waitpid(pid, &o->wstatus, 0) != pid)
        return -1;
    return 0;
}

/* ---- naming call sites ----------------------------------------------------- */

static char exe[4096];

/* "[offset] function at file:line" of a frame (addr2line; the file and line
 * need a build with debug information), "[offset]" alone without addr2line. */
static void frame_name(uintptr_t off, char *out, size_t cap)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "addr2line -f -s -i -p -e '%s' 0x%lx 2>/dev/null", exe,
             (unsigned long)off);
    int used = snprintf(out, cap, "[0x%lx]", (unsigned long)off);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    char line[512];
    while (used >= 0 && (size_t)used < cap && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        int w = snprintf(out + used, cap - (size_t)used, " %s", line);
        used = w < 0 ? -1 : used + w;
    }
    pclose(p);
}

static void print_frames(const char *label, const uintptr_t *frame, int nf)
{
    fprintf(stderr, "    %s:\n", label);
    for (int i = 0; i < nf; i++) {
        char name[1024];
        frame_name(frame[i], name, sizeof name);
        fprintf(stderr, "      #%d %s\n", i, name);
        if (strstr(name, "main at") || strstr(name, "case_"))
            break; /* the test's own frames from here on */
    }
}

static int find_bias(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    load_bias = (uintptr_t)info->dlpi_addr; /* the first object is the executable */
    return 1;
}

/* ---- the driver ------------------------------------------------------------ */

/* Judge one replay; 1 when it failed. `n` 0 is the counting pass, whose
 * digest is `want`. A call that returns OK although its n-th allocation
 * failed passes only when what it made is the same (a designed fallback). */
static int judge(const tcase *c, long n, long total, uint64_t want, const outcome *o)
{
    char what[640] = "";
    const report *r = &o->result;
    if (WIFSIGNALED(o->wstatus))
        snprintf(what, sizeof what, "killed by signal %d%s", WTERMSIG(o->wstatus),
                 WTERMSIG(o->wstatus) == 14 ? " (timeout)" : "");
    else if (!o->have_result || WEXITSTATUS(o->wstatus) != 0)
        snprintf(what, sizeof what, "no outcome (exit %d)", WEXITSTATUS(o->wstatus));
    else if (n == 0 && r->status != CKP_OK)
        snprintf(what, sizeof what, "fails without any failed allocation: %s", r->message);
    else if (n > 0 && r->status == CKP_OK && r->digest != want)
        snprintf(what, sizeof what,
                 "returned OK although the allocation failed, and made something else");
    else if (n > 0 && c->nomem_only && r->status != CKP_OK && r->status != CKP_ERR_NOMEM)
        snprintf(what, sizeof what, "returned %s, not out of memory",
                 ckp_status_str((ckp_status)r->status));
    else if (n > 0 && r->status != CKP_OK && r->message[0] == '\0')
        snprintf(what, sizeof what, "returned %s with an empty message",
                 ckp_status_str((ckp_status)r->status));
    else if (r->out_left)
        snprintf(what, sizeof what, "returned %s but left its out pointer set",
                 ckp_status_str((ckp_status)r->status));
    else if (r->nlive > 0)
        snprintf(what, sizeof what, "leaked %ld allocation(s) (returned %s)", r->nlive,
                 ckp_status_str((ckp_status)r->status));
    if (!what[0]) {
        if (n > 0 && r->status == CKP_OK)
            printf("%s: n=%ld/%ld: survived the failed allocation with the same result\n",
                   c->name, n, total);
        else if (n > 0 && r->status != CKP_ERR_NOMEM) {
            printf("%s: n=%ld/%ld: %s (not NOMEM, accepted): %s\n", c->name, n, total,
                   ckp_status_str((ckp_status)r->status), r->message);
            fflush(stdout);
            if (o->have_site)
                print_frames("failed allocation", o->site.frame, o->site.nf);
        }
        return 0;
    }
    fprintf(stderr, "FAIL %s: n=%ld/%ld: %s\n", c->name, n, total, what);
    if (o->have_result && r->message[0])
        fprintf(stderr, "    message: %s\n", r->message);
    if (o->have_site)
        print_frames("failed allocation", o->site.frame, o->site.nf);
    for (int i = 0; o->have_result && i < r->nleaks; i++) {
        char label[128];
        snprintf(label, sizeof label, "leak %d: %zu bytes, allocation call %ld", i + 1,
                 r->leak[i].size, r->leak[i].seq);
        print_frames(label, &r->leak[i].caller, 1);
    }
    return 1;
}

static int run_case(const tcase *c)
{
    outcome o;
    if (replay(c, 0, &o) != 0) {
        fprintf(stderr, "FAIL %s: cannot start a replay\n", c->name);
        return 1;
    }
    if (judge(c, 0, 0, 0, &o))
        return 1;
    uint64_t want = o.result.digest;
    long total = o.result.calls, bad = 0;
    if (total == 0) {
        fprintf(stderr, "FAIL %s: no allocation counted (is the test linked with --wrap?)\n",
                c->name);
        return 1;
    }
    for (long n = 1; n <= total; n++) {
        if (replay(c, n, &o) != 0) {
            fprintf(stderr, "FAIL %s: cannot start replay %ld\n", c->name, n);
            return 1;
        }
        bad += judge(c, n, total, want, &o);
    }
    printf("%s: %ld allocation calls, %ld failed replay(s)\n", c->name, total, bad);
    return bad > 0;
}

int main(int argc, char **argv)
{
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    dl_iterate_phdr(find_bias, NULL);
    void *warm[2];
    backtrace(warm, 2); /* its first call loads the unwinder, which allocates */

    int failed = 0, ran = 0;
    for (size_t i = 0; i < NCASES; i++) {
        int chosen = argc < 2;
        for (int a = 1; a < argc; a++)
            chosen |= strcmp(argv[a], cases[i].name) == 0;
        if (!chosen)
            continue;
        ran++;
        failed += run_case(&cases[i]);
    }
    if (!ran) {
        fprintf(stderr, "no such case\n");
        return 2;
    }
    printf("%d of %d case(s) failed\n", failed, ran);
    return failed ? 1 : 0;
}
