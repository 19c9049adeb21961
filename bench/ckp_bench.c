/* chokepoint benchmark: engine throughput side by side with the machine's limits.
 *
 * A thin program over the measuring core in engine/bench/ (shared with
 * `chokepoint bench`): for each scenario (the built-in default, the generated
 * `wide` and `io-large` of gen.c, or a file) and thread count it runs one
 * case in a forked child (ckp_bench_fork_case: the run through the plan, the
 * floor, the peak RSS) and prints its table row and JSON line (lines starting
 * with '{'). What is only here: the generated scenarios; where industries
 * are many, cblas_dgemm on the propagation's shape and the rate of
 * propagation itself, estimated as 2 I^2 flops per shocked policy-path-month
 * over the time the full scenario takes beyond its one-industry twin (same
 * suppliers and materials, hence the same shocks); the cost sweep; --rss;
 * and `--check`, the tiny run registered as a test: it proves the floor
 * draws exactly the model's uniforms (against ckp_path_uniforms), then runs
 * every scenario briefly through the same code and fails on any
 * inconsistency. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chokepoint/rng.h"
#include "chokepoint/run.h"
#include "chokepoint/scenario.h"
#include "chokepoint/sim.h"
#include "dgemm.h"
#include "engine/bench/bench_impl.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/sim/sim_impl.h"
#include "gen.h"

typedef struct opts {
    int64_t paths; /* 0: per-scenario default */
    int repeat;
    int quick;
    int month_stats;    /* passed to ckp_run_options.month_stats */
    const char *h5_dir; /* write each run's HDF5 results here (then delete them) */
    const char *emit_dir;
} opts;

static int load_case(const char *name, int months, int industries, ckp_scenario **sc,
                     ckp_error *err, const char *emit_dir)
{
    gen_spec sp;
    if (strcmp(name, "default") == 0)
        return ckp_scenario_load_default(sc, err) == CKP_OK ? 0 : -1;
    if (gen_preset(name, &sp) != 0) {
        return ckp_scenario_load_file(name, sc, err) == CKP_OK ? 0 : -1;
    }
    if (months > 0)
        sp.T = months;
    if (industries > 0)
        sp.I = industries;
    char *text;
    size_t len;
    /* big tables go to a CSV beside the emitted YAML, or a temporary file */
    char csv[1024] = "";
    if ((size_t)sp.I * (size_t)sp.I > 250000) {
        if (emit_dir) {
            snprintf(csv, sizeof csv, "%s/%s-z.csv", emit_dir, name);
        } else {
            snprintf(csv, sizeof csv, "/tmp/ckp_bench_z_XXXXXX");
            int fd = mkstemp(csv);
            if (fd < 0) {
                ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "mkstemp: %s", strerror(errno));
                return -1;
            }
            close(fd);
        }
        sp.z_csv = csv;
    }
    int gst = gen_yaml(&sp, &text, &len);
    if (gst != 0) {
        ckp_error_set(err, CKP_ERR_IO, NULL, 0, 0, NULL, "cannot generate %s (memory or %s)",
                      name, csv[0] ? csv : "-");
        if (csv[0] && !emit_dir)
            unlink(csv);
        return -1;
    }
    if (emit_dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.yaml", emit_dir, name);
        FILE *f = fopen(path, "w");
        if (f) {
            fwrite(text, 1, len, f);
            fclose(f);
        }
    }
    ckp_status st = ckp_scenario_load_string(text, len, name, NULL, sc, err);
    free(text);
    if (csv[0] && !emit_dir)
        unlink(csv);
    return st == CKP_OK ? 0 : -1;
}

/* Shocked policy-path-months (some material short, so propagation has work),
 * counted on the one-industry twin with the trace. */
static int64_t count_shocked_policy(const ckp_scenario *tw, int64_t paths, int only);

static int64_t count_shocked(const ckp_scenario *tw, int64_t paths)
{
    return count_shocked_policy(tw, paths, -1);
}

/* `only` >= 0: that policy alone. */
static int64_t count_shocked_policy(const ckp_scenario *tw, int64_t paths, int only)
{
    ckp_layout lay;
    ckp_layout_init(&lay, &tw->models[0]);
    ckp_work *w = NULL;
    ckp_error err;
    if (ckp_work_create(tw, &w, &err) != CKP_OK)
        return -1;
    int T = tw->T, M = tw->M;
    double *u = malloc(sizeof(double) * lay.uniforms);
    double *rec = malloc(sizeof(double) * lay.record);
    double *x = malloc(sizeof(double) * (size_t)T * M);
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, tw->seed);
    int64_t shocked = 0;
    for (int k = 0; k < tw->npolicies && u && rec && x; k++) {
        if (only >= 0 && k != only)
            continue;
        ckp_prep *prep = NULL;
        if (ckp_prep_create(&tw->models[k], &prep, &err) != CKP_OK) {
            shocked = -1;
            break;
        }
        for (int64_t p = 0; p < paths; p++) {
            ckp_trace tr;
            memset(&tr, 0, sizeof tr);
            tr.shortfall = x;
            ckp_path_uniforms(&lay, &base, (uint64_t)p, 0, u);
            ckp_sim_path(&tw->models[k], prep, &lay, w, u, rec, NULL, &tr);
            for (int t = 0; t < T; t++) {
                int any = 0;
                for (int m = 0; m < M; m++)
                    any |= x[(size_t)t * M + m] > 0;
                shocked += any;
            }
        }
        ckp_prep_free(prep);
    }
    free(u);
    free(rec);
    free(x);
    ckp_work_free(w);
    return shocked;
}

/* Seconds ckp_sim_path takes over `paths` paths of the baseline policy, on
 * this thread, with the preparation and the uniforms made beforehand and no
 * per-month observables: the simulation alone, without run overheads. */
static double sim_seconds(const ckp_scenario *sc, int64_t paths)
{
    ckp_layout lay;
    ckp_layout_init(&lay, &sc->models[0]);
    ckp_work *w = NULL;
    ckp_prep *prep = NULL;
    ckp_error err;
    double secs = -1;
    double *u = malloc(sizeof(double) * lay.uniforms * (size_t)paths);
    double *rec = malloc(sizeof(double) * lay.record);
    if (u && rec && ckp_work_create(sc, &w, &err) == CKP_OK &&
        ckp_prep_create(&sc->models[0], &prep, &err) == CKP_OK) {
        ckp_pcg64 base;
        ckp_pcg64_from_seed(&base, sc->seed);
        for (int64_t p = 0; p < paths; p++)
            ckp_path_uniforms(&lay, &base, (uint64_t)p, 0, u + lay.uniforms * (size_t)p);
        double best = INFINITY;
        for (int rep = 0; rep < 2; rep++) {
            double t0 = ckp_bench_now();
            for (int64_t p = 0; p < paths; p++)
                ckp_sim_path(&sc->models[0], prep, &lay, w, u + lay.uniforms * (size_t)p, rec,
                             NULL, NULL);
            double dt = ckp_bench_now() - t0;
            best = dt < best ? dt : best;
        }
        secs = best;
    }
    ckp_prep_free(prep);
    ckp_work_free(w);
    free(u);
    free(rec);
    return secs;
}

/* The propagation figures of a generated scenario (the case's `extra`, run in
 * the child after the timings); ctx is the scenario's name. */
static void prop_extra(const ckp_bench_case *c, ckp_bench_result *r, void *ctx)
{
    const char *name = ctx;
    const ckp_model *m = &c->sc->models[0];
    ckp_scenario *twin = NULL;
    ckp_error err;
    int cols = 256;
    r->dgemm_gflops = bench_dgemm_rate(m->I, m->I, cols, 3);
    r->dgemm_sq_gflops = bench_dgemm_rate(m->I, m->I, m->I, 2);
    if (load_case(name, 0, 1, &twin, &err, NULL) != 0)
        return;
    ckp_bench_case tc = *c;
    tc.sc = twin;
    double tw[3], tcpu[3], cks, tt = INFINITY;
    if (ckp_bench_steady_time(&tc, twin, &cks, tw, tcpu, NULL, &err) == 0)
        tt = tw[0];
    int64_t shocked = count_shocked(twin, c->paths);
    /* the same on the simulation alone (baseline policy, 1 thread) */
    int64_t sp = c->paths < 256 ? c->paths : 256;
    int64_t shocked0 = count_shocked_policy(twin, sp, 0);
    double t_full = sim_seconds(c->sc, sp), t_twin = sim_seconds(twin, sp);
    r->sim_prop_seconds = t_full - t_twin;
    if (t_full > 0 && t_twin >= 0 && r->sim_prop_seconds > 0 && shocked0 >= 0)
        r->sim_prop_gflops =
            2.0 * m->I * (double)m->I * (double)shocked0 / r->sim_prop_seconds * 1e-9;
    r->shocked_frac = (double)shocked / ((double)c->paths * m->T * c->sc->npolicies);
    r->prop_seconds = r->seconds - tt;
    if (r->prop_seconds > 0 && shocked >= 0)
        r->prop_gflops =
            2.0 * m->I * (double)m->I * (double)shocked / r->prop_seconds * 1e-9 / c->threads;
    ckp_scenario_free(twin);
}

/* One case of a named scenario: loaded here, run in a child. want_prop adds
 * the propagation figures (generated scenarios). */
static void named_case(const char *name, int threads, int64_t paths, int want_prop, const opts *op,
                       ckp_bench_result *r)
{
    ckp_scenario *sc = NULL;
    ckp_error err;
    ckp_error_clear(&err);
    if (load_case(name, 0, 0, &sc, &err, op->emit_dir) != 0) {
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", name);
        r->threads = threads;
        snprintf(r->error, sizeof r->error, "%s", err.message);
        return;
    }
    ckp_bench_case c = {name,         sc,         threads,
                        paths,        op->repeat, op->month_stats,
                        op->h5_dir,   1,          want_prop ? prop_extra : NULL,
                        (void *)name, NULL};
    ckp_bench_fork_case(&c, r);
    ckp_scenario_free(sc);
}

static void print_result(const ckp_bench_result *r, const char *tag)
{
    ckp_bench_print_row(stdout, r);
    ckp_bench_print_json(stdout, r, tag);
}

static int64_t default_paths(const char *name, const opts *op)
{
    int64_t p = strcmp(name, "io-large") == 0 ? 512 : strcmp(name, "wide") == 0 ? 2000 : 50000;
    if (op->paths > 0)
        p = op->paths;
    if (op->quick)
        p = p / 10 > 8 ? p / 10 : 8;
    return p;
}

/* ---- the sweep ---------------------------------------------------------------- */
/* One point: the generated scenario loaded here, run in a child on 1 thread. */
static void sweep_point(const gen_spec *sp, int64_t paths, const opts *op, ckp_bench_result *r)
{
    char *text;
    size_t len;
    ckp_scenario *sc = NULL;
    ckp_error err;
    ckp_error_clear(&err);
    memset(r, 0, sizeof *r);
    if (gen_yaml(sp, &text, &len) != 0) {
        snprintf(r->error, sizeof r->error, "cannot generate the sweep scenario");
        return;
    }
    ckp_status st = ckp_scenario_load_string(text, len, "sweep", NULL, &sc, &err);
    free(text);
    if (st != CKP_OK) {
        snprintf(r->error, sizeof r->error, "%s", err.message);
        return;
    }
    ckp_bench_case c = {"sweep", sc, 1,    paths, op->repeat, op->month_stats,
                        NULL,    1,  NULL, NULL,  NULL};
    ckp_bench_fork_case(&c, r);
    ckp_scenario_free(sc);
}

static int sweep(const opts *op)
{
    /* Cost against one dimension at a time, the others at the sweep base
     * (S=10, M=8, I=20, T=60, 3 policies: the baseline and 2 generated). */
    static const struct {
        char dim;
        int v[6];
    } axes[] = {
        {'S', {5, 10, 20, 40, 80, 0}},  {'M', {2, 4, 8, 16, 32, 0}},
        {'I', {5, 20, 80, 320, 1000, 0}}, {'T', {12, 60, 240, 0, 0, 0}},
        {'P', {1000, 10000, 100000, 0, 0, 0}},
    };
    int failures = 0;
    printf("# sweep: one dimension at a time from S=10 M=8 I=20 T=60, 1 thread\n");
    printf("# times are process CPU time (1 thread; robust on a shared machine)\n");
    printf("%-3s %7s %10s %12s %14s %14s %10s %8s\n", "dim", "value", "paths", "ns/p-m",
           "ns/pol-p-m", "floor ns/p-m", "x floor", "RSS MB");
    for (size_t a = 0; a < sizeof axes / sizeof axes[0]; a++) {
        for (int k = 0; k < 6 && axes[a].v[k]; k++) {
            gen_spec sp;
            gen_preset("sweep", &sp);
            int v = axes[a].v[k];
            int64_t paths = 4000;
            switch (axes[a].dim) {
            case 'S': sp.S = v; break;
            case 'M': sp.M = v; break;
            case 'I': sp.I = v; paths = v >= 320 ? 400 : paths; break;
            case 'T': sp.T = v; paths = paths * 60 / v; break;
            default: paths = v; break;
            }
            if (op->quick)
                paths = paths / 20 > 4 ? paths / 20 : 4;
            ckp_bench_result r;
            sweep_point(&sp, paths, op, &r);
            if (!r.ok) {
                printf("%-3c %7d FAILED: %s\n", axes[a].dim, v, r.error);
                failures++;
                continue;
            }
            double pm = (double)r.paths * r.T;
            printf("%-3c %7d %10lld %12.1f %14.1f %14.1f %10.2f %8.1f\n", axes[a].dim, v,
                   (long long)r.paths, r.cpu_seconds / pm * 1e9,
                   r.cpu_seconds / (pm * r.npol) * 1e9, r.floor_cpu_seconds / pm * 1e9,
                   r.cpu_seconds / r.floor_cpu_seconds, r.peak_rss_kb / 1024.0);
            printf("{\"sweep\":\"%c\",\"value\":%d,\"paths\":%lld,\"S\":%d,\"M\":%d,\"I\":%d,"
                   "\"months\":%d,\"policies\":%d,\"ns_per_path_month\":%.6g,"
                   "\"floor_ns_per_path_month\":%.6g,\"cpu_ns_per_path_month\":%.6g,"
                   "\"floor_cpu_ns_per_path_month\":%.6g,\"peak_rss_kb\":%ld}\n",
                   axes[a].dim, v, (long long)r.paths, r.S, r.M, r.I, r.T, r.npol,
                   r.seconds / pm * 1e9, r.floor_seconds / pm * 1e9, r.cpu_seconds / pm * 1e9,
                   r.floor_cpu_seconds / pm * 1e9, r.peak_rss_kb);
            fflush(stdout);
        }
    }
    return failures ? 1 : 0;
}

/* ---- --check: the tiny run registered as a test ------------------------------- */
static int check(const opts *op)
{
    int fails = 0;
    const char *names[] = {"default", "wide", "sweep"};
    for (size_t k = 0; k < 3; k++) {
        ckp_scenario *sc = NULL;
        ckp_error err;
        ckp_error_clear(&err);
        /* io-large is too big for a unit test; the sweep base with a dense
         * table exercises the same propagation path. */
        if (load_case(names[k], 0, 0, &sc, &err, op->emit_dir) != 0) {
            fprintf(stderr, "check: cannot load %s: %s\n", names[k], err.message);
            fails++;
            continue;
        }
        fails += ckp_bench_floor_check(sc, names[k], 20);
        ckp_scenario_free(sc);
    }
    opts qo = *op;
    qo.repeat = 1;
    ckp_bench_print_header(stdout);
    const struct {
        const char *name;
        int threads;
        int64_t paths;
        int prop, h5;
    } cases[] = {{"default", 1, 200, 0, 0}, {"default", 2, 200, 0, 0}, {"wide", 1, 10, 0, 0},
                 {"sweep", 1, 50, 1, 0}, {"default", 2, 200, 0, 1}};
    double ck[5] = {0};
    char tmpdir[] = "/tmp/ckp_bench_check_XXXXXX";
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "check: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ckp_bench_result r;
        /* the last case writes HDF5 too, so that path never rots either */
        qo.h5_dir = cases[k].h5 ? tmpdir : NULL;
        named_case(cases[k].name, cases[k].threads, cases[k].paths, cases[k].prop, &qo, &r);
        print_result(&r, "check");
        if (!r.ok || !(r.seconds > 0) || !(r.floor_seconds > 0) || !isfinite(r.checksum) ||
            !isfinite(r.floor_checksum) || r.peak_rss_kb <= 0 ||
            (cases[k].prop && !(r.dgemm_gflops > 0))) {
            fprintf(stderr, "check: case %s/%d threads failed or gave nonsense\n",
                    cases[k].name, cases[k].threads);
            fails++;
        }
        ck[k] = r.checksum;
    }
    /* the sum of loss_total over paths and policies cannot depend on threads */
    if (rmdir(tmpdir) != 0) {
        fprintf(stderr, "check: the HDF5 file was not removed from %s\n", tmpdir);
        fails++;
    }
    if (ck[0] != ck[1] || ck[0] != ck[4]) {
        fprintf(stderr, "check: default scenario gives %.17g on 1 thread, %.17g on 2, %.17g with "
                "HDF5\n", ck[0], ck[1], ck[4]);
        fails++;
    }
    return fails ? 1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ckp_bench [options] [SCENARIO...]\n"
            "  SCENARIO          default | wide | io-large | FILE.yaml (default: all three)\n"
            "  --threads LIST    comma-separated thread counts (default 1,2)\n"
            "  --paths N         paths per case (default: 50000, wide 2000, io-large 512)\n"
            "  --repeat R        best of R runs (default 3)\n"
            "  --quick           a tenth of the paths, one repeat\n"
            "  --no-month-stats  runs without per-month sums and histograms\n"
            "  --sweep           the cost sweep over S, M, I, T and paths\n"
            "  --rss             peak RSS of the default scenario at 10^4 and 10^6 paths\n"
            "                    (on the first of --threads)\n"
            "  --h5 DIR          also write each run's HDF5 results in DIR (deleted after)\n"
            "  --emit DIR        also write the generated scenarios to DIR\n"
            "  --dgemm N         only the dgemm rates for N x N times N x 256 and N x N\n"
            "  --check           the self-check run as a test\n");
}

int main(int argc, char **argv)
{
    opts op = {0, 3, 0, 1, NULL, NULL};
    int threads[8] = {1, 2}, nthreads = 2, do_sweep = 0, do_check = 0, do_rss = 0;
    const char *names[16];
    int nnames = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            nthreads = 0;
            for (char *p = argv[++i]; *p && nthreads < 8;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > 256) {
                    fprintf(stderr, "ckp_bench: bad --threads list\n");
                    return 2;
                }
                threads[nthreads++] = (int)v;
                p = *end == ',' ? end + 1 : end;
            }
        } else if (strcmp(a, "--paths") == 0 && i + 1 < argc) {
            op.paths = strtoll(argv[++i], NULL, 10);
            if (op.paths < 2) {
                fprintf(stderr, "ckp_bench: --paths needs a number >= 2\n");
                return 2;
            }
        } else if (strcmp(a, "--repeat") == 0 && i + 1 < argc) {
            op.repeat = atoi(argv[++i]);
            if (op.repeat < 1) {
                fprintf(stderr, "ckp_bench: --repeat needs a number >= 1\n");
                return 2;
            }
        } else if (strcmp(a, "--quick") == 0) {
            op.quick = 1;
            op.repeat = 1;
        } else if (strcmp(a, "--no-month-stats") == 0) {
            op.month_stats = 0;
        } else if (strcmp(a, "--sweep") == 0) {
            do_sweep = 1;
        } else if (strcmp(a, "--rss") == 0) {
            do_rss = 1;
        } else if (strcmp(a, "--dgemm") == 0 && i + 1 < argc) {
            int n = atoi(argv[++i]);
            if (n < 1 || n > 20000) {
                fprintf(stderr, "ckp_bench: --dgemm needs a size in 1..20000\n");
                return 2;
            }
            const char *cpu = getenv("OPENBLAS_CORETYPE");
            printf("{\"dgemm\":%d,\"coretype\":\"%s\",\"gflops_n_n_256\":%.4g,"
                   "\"gflops_square\":%.4g}\n",
                   n, cpu ? cpu : "", bench_dgemm_rate(n, n, 256, 5), bench_dgemm_rate(n, n, n, 3));
            return 0;
        } else if (strcmp(a, "--check") == 0) {
            do_check = 1;
        } else if (strcmp(a, "--h5") == 0 && i + 1 < argc) {
            op.h5_dir = argv[++i];
        } else if (strcmp(a, "--emit") == 0 && i + 1 < argc) {
            op.emit_dir = argv[++i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "ckp_bench: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (nnames < 16) {
            names[nnames++] = a;
        }
    }
    if (do_check)
        return check(&op);
    if (do_sweep)
        return sweep(&op);
    const char *cpu = getenv("OPENBLAS_CORETYPE");
    printf("# chokepoint benchmark; OPENBLAS_CORETYPE=%s; best of %d; month stats %s; "
           "HDF5 output %s\n",
           cpu ? cpu : "(unset)", op.repeat, op.month_stats ? "on" : "off",
           op.h5_dir ? "on" : "off");
    int failures = 0;
    if (do_rss) {
        ckp_bench_print_header(stdout);
        int64_t sizes[2] = {10000, 1000000};
        for (int k = 0; k < 2; k++) {
            ckp_bench_result r;
            opts one = op;
            one.repeat = 1;
            named_case("default", threads[0], sizes[k], 0, &one, &r);
            print_result(&r, "rss");
            failures += !r.ok;
        }
        return failures ? 1 : 0;
    }
    if (nnames == 0) {
        names[0] = "default";
        names[1] = "wide";
        names[2] = "io-large";
        nnames = 3;
    }
    ckp_bench_print_header(stdout);
    for (int n = 0; n < nnames; n++)
        for (int t = 0; t < nthreads; t++) {
            ckp_bench_result r;
            int prop = strcmp(names[n], "default") != 0;
            named_case(names[n], threads[t], default_paths(names[n], &op), prop, &op, &r);
            print_result(&r, "case");
            failures += !r.ok;
        }
    return failures ? 1 : 0;
}
