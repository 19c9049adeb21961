/* chokepoint tests (unit): the per-path chunk codec both ways against HDF5's
 * own shuffle and deflate filters (engine/output/chunk.c, chunk_read.c).
 *
 * - Chunks written by HDF5's filters (H5Dwrite through a shuffle + deflate,
 *   deflate-only, shuffle-only or unfiltered pipeline) read back by
 *   ckp_chunk_read give the same bits, partial last chunk and columns of a
 *   2-D dataset included.
 * - Chunks written by ckp_codec_put (H5Dwrite_chunk) at levels 1 and 9 read
 *   back by H5Dread (HDF5's filters) give the same bits, and ckp_chunk_read
 *   reads them too.
 * - A pipeline the codec does not know (with Fletcher32) is refused, so the
 *   caller falls back to H5Dread.
 * - The finish's split tail figures (ckp_tail_se, then ckp_tail_values_sorted
 *   after the summary's sort) equal ckp_tail_compute bit for bit.
 * The values mix what the records hold: zeros of both signs, NaN padding,
 * infinities, subnormals, repeated and random doubles. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "chokepoint/rng.h"
#include "chokepoint/stats.h"
#include "engine/output/chunk_impl.h"
#include "engine/stats/tail_impl.h"

#define CHUNK 4096
#define PATHS (3 * CHUNK + 1000) /* a partial last chunk */
#define COLS 3

static void fill(double *x, size_t n, uint64_t seed)
{
    ckp_pcg64 g;
    ckp_pcg64_from_seed(&g, seed);
    for (size_t i = 0; i < n; i++) {
        double u = ckp_uniform(&g);
        int kind = (int)(ckp_uniform(&g) * 10.0);
        x[i] = kind == 0   ? 0.0
               : kind == 1 ? -0.0
               : kind == 2 ? (i % 3 ? 5e-324 * (double)(i % 7) : INFINITY)
               : kind == 3 ? NAN
               : kind == 4 ? 42.5
                           : 1e9 * exp(3.0 * u) * (u < 0.2 ? -1.0 : 1.0);
    }
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* A (PATHS, COLS) float64 dataset in chunks (CHUNK, 1) with the filters of
 * `pipe` (0 none, 1 shuffle + deflate, 2 deflate, 3 shuffle, 4 shuffle +
 * deflate + Fletcher32). */
static hid_t make_ds(hid_t f, const char *name, int pipe)
{
    hsize_t dims[2] = {PATHS, COLS}, chk[2] = {CHUNK, 1};
    hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chk);
    if (pipe == 1 || pipe == 3 || pipe == 4)
        H5Pset_shuffle(dcpl);
    if (pipe == 1 || pipe == 2 || pipe == 4)
        H5Pset_deflate(dcpl, 6);
    if (pipe == 4)
        H5Pset_fletcher32(dcpl);
    hid_t ds = H5Dcreate2(f, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return ds;
}

/* Column c of ds through HDF5's H5Dread (and its filters). */
static int h5_read_col(hid_t ds, int c, double *x)
{
    hsize_t st[2] = {0, (hsize_t)c}, ct[2] = {PATHS, 1}, n = PATHS;
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &n, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL);
    herr_t rc = H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, x);
    H5Sclose(fs);
    H5Sclose(ms);
    return rc < 0 ? -1 : 0;
}

/* HDF5's filters write, the codec reads. */
static void hdf5_writes(hid_t f, const double *data, double *got, double *edge)
{
    ckp_chunk_codec c;
    memset(&c, 0, sizeof c);
    CHECK(ckp_codec_init(&c, 0, CHUNK, NULL) == CKP_OK, "decode-only codec");
    for (int pipe = 0; pipe <= 4; pipe++) {
        char name[32];
        snprintf(name, sizeof name, "hdf5_%d", pipe);
        hid_t ds = make_ds(f, name, pipe);
        CHECK(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, "write");
        ckp_chunk_pipe p;
        int ok = ckp_chunk_readable(ds, CHUNK, &p);
        CHECK(ok == (pipe != 4), "pipeline %d readable: %d", pipe, ok);
        CHECK(!ok || p.rank == 2, "rank %d", p.rank);
        for (int col = 0; ok && col < COLS; col++) {
            double want[PATHS];
            for (size_t i = 0; i < PATHS; i++)
                want[i] = data[i * COLS + (size_t)col];
            hsize_t st[2] = {0, (hsize_t)col};
            memset(got, 0, PATHS * sizeof *got);
            CHECK(ckp_chunk_read(&c, &p, ds, st, PATHS, got, edge) == 0, "read %d", pipe);
            CHECK(same_bits(want, got, PATHS), "pipeline %d column %d: same bits", pipe, col);
            /* From a later chunk on, to a count inside a chunk. */
            hsize_t st2[2] = {CHUNK, (hsize_t)col};
            CHECK(ckp_chunk_read(&c, &p, ds, st2, CHUNK + 17, got, edge) == 0, "read from 1");
            CHECK(same_bits(want + CHUNK, got, CHUNK + 17), "pipeline %d: a middle range", pipe);
            hsize_t st3[2] = {17, (hsize_t)col};
            CHECK(ckp_chunk_read(&c, &p, ds, st3, 10, got, edge) < 0, "unaligned start refused");
        }
        H5Dclose(ds);
    }
    ckp_codec_free(&c);
}

/* The codec writes, HDF5's filters read. */
static void codec_writes(hid_t f, const double *data, double *got, double *edge)
{
    for (int level = 1; level <= 9; level += 8) {
        char name[32];
        snprintf(name, sizeof name, "codec_%d", level);
        hid_t ds = make_ds(f, name, 1);
        ckp_chunk_codec c;
        memset(&c, 0, sizeof c);
        CHECK(ckp_codec_init(&c, level, CHUNK, NULL) == CKP_OK, "codec at level %d", level);
        double col[CHUNK];
        for (int k = 0; k < COLS; k++)
            for (size_t i0 = 0; i0 < PATHS; i0 += CHUNK) {
                size_t n = PATHS - i0 < CHUNK ? PATHS - i0 : CHUNK;
                for (size_t i = 0; i < n; i++)
                    col[i] = data[(i0 + i) * COLS + (size_t)k];
                hsize_t off[2] = {i0, (hsize_t)k};
                CHECK(ckp_codec_put(&c, ds, off, col, n) == 0, "put");
            }
        ckp_chunk_pipe p;
        CHECK(ckp_chunk_readable(ds, CHUNK, &p), "our own chunks are readable");
        for (int k = 0; k < COLS; k++) {
            double want[PATHS];
            for (size_t i = 0; i < PATHS; i++)
                want[i] = data[i * COLS + (size_t)k];
            CHECK(h5_read_col(ds, k, got) == 0, "H5Dread");
            CHECK(same_bits(want, got, PATHS), "level %d column %d: HDF5 reads our bits", level, k);
            hsize_t st[2] = {0, (hsize_t)k};
            memset(got, 0, PATHS * sizeof *got);
            CHECK(ckp_chunk_read(&c, &p, ds, st, PATHS, got, edge) == 0, "read");
            CHECK(same_bits(want, got, PATHS), "level %d column %d: we read our bits", level, k);
        }
        ckp_codec_free(&c);
        H5Dclose(ds);
    }
}

/* ckp_tail_se + ckp_tail_values_sorted against ckp_tail_compute. */
static void tail_split(void)
{
    size_t n = 20000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double *s = malloc(ckp_tail_scratch(n) * sizeof *s);
    ckp_pcg64 g;
    ckp_pcg64_from_seed(&g, 7);
    for (size_t i = 0; i < n; i++)
        x[i] = ckp_uniform(&g) < 0.3 ? (i % 2 ? 0.0 : -0.0) : exp(4.0 * ckp_uniform(&g));
    for (int anti = 0; anti <= 1; anti++) {
        memcpy(y, x, n * sizeof *x);
        ckp_tail a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        CHECK(ckp_tail_compute(y, n, anti, s, &a, NULL) == CKP_OK, "tail");
        memcpy(y, x, n * sizeof *x);
        CHECK(ckp_tail_se(y, n, anti, s, &b, NULL) == CKP_OK, "tail se");
        CHECK(memcmp(x, y, n * sizeof *x) == 0, "tail se leaves x in path order");
        ckp_summary sm;
        CHECK(ckp_summary_compute_inplace(y, n, anti, &sm, NULL) == CKP_OK, "summary");
        ckp_tail_values_sorted(y, n, &b);
        CHECK(memcmp(a.value, b.value, sizeof a.value) == 0 &&
                  memcmp(a.se, b.se, sizeof a.se) == 0 &&
                  memcmp(a.blocks, b.blocks, sizeof a.blocks) == 0,
              "antithetic %d: the split tail equals ckp_tail_compute", anti);
        CHECK(b.value[0] == sm.var95 && b.value[3] == sm.cvar99, "the summary's VaR and CVaR");
    }
    free(x);
    free(y);
    free(s);
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/ckp-codec-XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    if (!mkdtemp(dir)) {
        printf("cannot create a temporary directory\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/codec.h5", dir);
    double *data = malloc((size_t)PATHS * COLS * sizeof *data);
    double *got = malloc((size_t)PATHS * sizeof *got), *edge = malloc(CHUNK * sizeof *edge);
    fill(data, (size_t)PATHS * COLS, 20261202);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(f >= 0, "create %s", path);
    if (f >= 0) {
        hdf5_writes(f, data, got, edge);
        codec_writes(f, data, got, edge);
        H5Fclose(f);
    }
    remove(path);
    rmdir(dir);
    tail_split();
    free(data);
    free(got);
    free(edge);
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
