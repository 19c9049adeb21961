/* chokepoint bench: the one emitter of results, a table row and a JSON line
 * per case, for `chokepoint bench` and bench/ckp_bench alike (the keys are
 * listed in bench/README.md). Rates are per wall second of the steady state
 * (the plan's fixed cost taken out) and, under `cpu_`, per process CPU
 * second; a figure that was not measured is `null` in JSON and `-` in the
 * table. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chokepoint/version.h"
#include "engine/bench/bench_impl.h"
#include "engine/sim/kernel.h"

int ckp_bench_machine(char *cpu, size_t n)
{
    cpu[0] = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        const char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        const char *v = colon + 1 + strspn(colon + 1, " \t");
        snprintf(cpu, n, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    if (f)
        fclose(f);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)cores : 1;
}

void ckp_bench_kernels(char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < ckp_kernel_count() && len < n; i++) {
        const ckp_kernel *k = ckp_kernel_at(i);
        if (k->available())
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", k->name);
    }
}

void ckp_bench_print_header(FILE *f)
{
    fprintf(f, "%-10s %3s %9s %5s %4s %10s %13s %9s %11s %12s %8s %7s  %s\n", "case", "thr",
            "paths", "stats", "file", "paths/s", "path-months/s", "ns/p-m", "cpu ns/p-m",
            "floor p-m/s", "x floor", "RSS MB", "kernel");
}

/* a / b, or NAN when b is not a positive number */
static double ratio(double a, double b)
{
    return b > 0 && isfinite(b) ? a / b : NAN;
}

/* A JSON number, or null for NAN and infinities. */
static void jnum(FILE *f, const char *key, double v)
{
    if (isfinite(v))
        fprintf(f, ",\"%s\":%.6g", key, v);
    else
        fprintf(f, ",\"%s\":null", key);
}

/* A JSON string (quotes, backslashes and control bytes escaped). */
static void jstr(FILE *f, const char *key, const char *s)
{
    fprintf(f, "\"%s\":\"", key);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void ckp_bench_print_row(FILE *f, const ckp_bench_result *r)
{
    if (!r->ok) {
        fprintf(f, "%-10s %3d  FAILED: %s\n", r->name, r->threads, r->error);
        return;
    }
    double pm = (double)r->paths * r->T;
    fprintf(f, "%-10s %3d %9lld %5s %4s %10.4g %13.4g %9.1f %11.1f ", r->name, r->threads,
            (long long)r->paths, r->month_stats ? "on" : "off", r->h5 ? "yes" : "no",
            r->paths / r->seconds, pm / r->seconds, r->seconds / pm * 1e9,
            r->cpu_seconds / pm * 1e9);
    if (r->floor_seconds > 0)
        fprintf(f, "%12.4g %8.2f ", pm / r->floor_seconds, r->seconds / r->floor_seconds);
    else
        fprintf(f, "%12s %8s ", "-", "-");
    fprintf(f, "%7.1f  %s", r->peak_rss_kb / 1024.0, r->kernel);
    if (r->dgemm_gflops > 0)
        fprintf(f, "  prop %.3g GF/s (sim alone %.3g, dgemm %.3g)", r->prop_gflops,
                r->sim_prop_gflops, r->dgemm_gflops);
    fprintf(f, "\n");
}

static void json_rates(FILE *f, const ckp_bench_result *r)
{
    double pm = (double)r->paths * r->T;
    jnum(f, "seconds", r->seconds);
    jnum(f, "paths_per_s", ratio((double)r->paths, r->seconds));
    jnum(f, "path_months_per_s", ratio(pm, r->seconds));
    jnum(f, "policy_path_months_per_s", ratio(pm * r->npol, r->seconds));
    jnum(f, "ns_per_path_month", r->seconds / pm * 1e9);
    jnum(f, "ns_per_policy_path_month", r->seconds / (pm * r->npol) * 1e9);
    jnum(f, "floor_seconds", r->floor_seconds > 0 ? r->floor_seconds : NAN);
    jnum(f, "floor_path_months_per_s", ratio(pm, r->floor_seconds));
    jnum(f, "run_over_floor", ratio(r->seconds, r->floor_seconds));
    fprintf(f, ",\"peak_rss_kb\":%ld,\"month_stats\":%d,\"h5\":%d,\"file_bytes\":%lld",
            r->peak_rss_kb, r->month_stats, r->h5, r->file_bytes);
    jnum(f, "total_seconds", r->total_seconds);
    jnum(f, "setup_seconds", r->setup_seconds);
    jnum(f, "cpu_seconds", r->cpu_seconds);
    jnum(f, "cpu_path_months_per_s", ratio(pm, r->cpu_seconds));
    jnum(f, "cpu_ns_per_path_month", r->cpu_seconds / pm * 1e9);
    jnum(f, "floor_cpu_ns_per_path_month",
         r->floor_cpu_seconds > 0 ? r->floor_cpu_seconds / pm * 1e9 : NAN);
    jnum(f, "cpu_run_over_floor", ratio(r->cpu_seconds, r->floor_cpu_seconds));
}

void ckp_bench_print_json(FILE *f, const ckp_bench_result *r, const char *tag)
{
    fputc('{', f);
    jstr(f, "case", r->name);
    fputc(',', f);
    jstr(f, "tag", tag);
    fputc(',', f);
    jstr(f, "version", ckp_version());
    fprintf(f, ",\"ok\":%s,\"threads\":%d", r->ok ? "true" : "false", r->threads);
    if (!r->ok) {
        fputc(',', f);
        jstr(f, "error", r->error);
        fprintf(f, "}\n");
        fflush(f);
        return;
    }
    fputc(',', f);
    jstr(f, "scenario", r->scenario);
    fputc(',', f);
    jstr(f, "kernel", r->kernel);
    fputc(',', f);
    jstr(f, "cpu", r->cpu);
    fprintf(f, ",\"cores\":%d", r->cores);
    fprintf(f,
            ",\"paths\":%lld,\"S\":%d,\"K\":%d,\"M\":%d,\"I\":%d,\"months\":%d,\"policies\":%d,"
            "\"path_months\":%lld",
            (long long)r->paths, r->S, r->K, r->M, r->I, r->T, r->npol, (long long)r->paths * r->T);
    json_rates(f, r);
    if (r->dgemm_gflops > 0) {
        jnum(f, "dgemm_gflops", r->dgemm_gflops);
        jnum(f, "dgemm_square_gflops", r->dgemm_sq_gflops);
        jnum(f, "prop_gflops", r->prop_gflops);
        jnum(f, "prop_seconds", r->prop_seconds);
        jnum(f, "shocked_fraction", r->shocked_frac);
        jnum(f, "sim_prop_gflops", r->sim_prop_gflops);
        jnum(f, "sim_prop_seconds", r->sim_prop_seconds);
    }
    fprintf(f, "}\n");
    fflush(f);
}
