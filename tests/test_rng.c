/* Unit tests of the rng module: the published PCG64 conformance vectors,
 * advance and path streams, SplitMix64 seeding, uniforms, and the inverse
 * normal / normal CDF / triangular transforms against high-precision values,
 * and the four-at-a-time inverse normal against the scalar one bit for bit.
 *
 * Usage: test_rng <path to tests/data/pcg/check-pcg64.out> */
#include "chokepoint/rng.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/rng/rng_impl.h"

static int same_gen(const ckp_pcg64 *a, const ckp_pcg64 *b)
{
    return a->state.hi == b->state.hi && a->state.lo == b->state.lo &&
           a->inc.hi == b->inc.hi && a->inc.lo == b->inc.lo;
}

/* 128-bit arithmetic done with 64-bit halves only, so the checks of advance and
 * path do not reuse the __int128 code they test. */
static ckp_u128 add128(ckp_u128 a, ckp_u128 b)
{
    ckp_u128 r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo);
    return r;
}

static ckp_u128 neg128(ckp_u128 a)
{
    ckp_u128 r = {~a.hi, ~a.lo};
    ckp_u128 one = {0, 1};
    return add128(r, one);
}

static void mul64x64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    *lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* a * b mod 2^128 by schoolbook on 64-bit halves. */
static ckp_u128 mul128(ckp_u128 a, ckp_u128 b)
{
    ckp_u128 r;
    mul64x64(a.lo, b.lo, &r.hi, &r.lo);
    r.hi += a.hi * b.lo + a.lo * b.hi;
    return r;
}

/* One LCG step computed with the 64-bit helpers. */
static void slow_step(ckp_pcg64 *g)
{
    ckp_u128 m = {CKP_PCG64_MULT_HI, CKP_PCG64_MULT_LO};
    g->state = add128(mul128(g->state, m), g->inc);
}

/* ---- PCG64 conformance vectors (pcg-c test-high/expected/check-pcg64.out) ---- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)len + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    buf[got] = '\0';
    return buf;
}

/* Replays the reference check program round by round against the expected
 * file: the seed 42/54, then per round 6 raw outputs, the same 6 after
 * advancing by -6, 65 coins, 33 dice and one 52-card shuffle. Every token of
 * the file after the header must be consumed and match. */
static void test_pcg_vectors(const char *path)
{
    char *text = read_file(path);
    CHECK(text != NULL, "cannot read %s", path);
    if (!text)
        return;

    ckp_pcg64 g;
    ckp_u128 initstate = {0, 42}, initseq = {0, 54};
    ckp_pcg64_seed(&g, initstate, initseq);

    const char *sep = " \t\r\n";
    char *save = NULL;
    char *tok = strtok_r(text, sep, &save);
    while (tok && strcmp(tok, "Round") != 0) /* skip the descriptive header */
        tok = strtok_r(NULL, sep, &save);

    int rounds = 0, raw = 0, again = 0, coins = 0, rolls = 0, cards = 0, bad = 0;
    uint64_t last6[6] = {0};
    while (tok && !bad) {
        if (strcmp(tok, "Round") == 0) {
            tok = strtok_r(NULL, sep, &save); /* "N:" */
            CHECK(tok && atoi(tok) == rounds + 1, "round number %s", tok ? tok : "(eof)");
            rounds++;
        } else if (strcmp(tok, "64bit:") == 0 || strcmp(tok, "Again:") == 0) {
            int is_again = tok[0] == 'A';
            if (is_again)
                ckp_pcg64_advance_signed(&g, -6);
            for (int i = 0; i < 6; i++) {
                tok = strtok_r(NULL, sep, &save);
                if (!tok) {
                    bad = 1;
                    break;
                }
                uint64_t want = strtoull(tok, NULL, 16);
                uint64_t got = ckp_pcg64_next(&g);
                CHECK(got == want, "round %d %s %d: got 0x%016" PRIx64 " want %s", rounds,
                      is_again ? "again" : "64bit", i, got, tok);
                if (is_again) {
                    CHECK(got == last6[i], "again differs from first pass");
                    again++;
                } else {
                    last6[i] = got;
                    raw++;
                }
            }
        } else if (strcmp(tok, "Coins:") == 0) {
            tok = strtok_r(NULL, sep, &save);
            CHECK(tok && strlen(tok) == 65, "coin line length");
            for (size_t i = 0; tok && i < strlen(tok); i++) {
                char want = tok[i];
                char got = ckp_pcg64_bounded(&g, 2) ? 'H' : 'T';
                CHECK(got == want, "round %d coin %zu: got %c want %c", rounds, i, got, want);
                coins++;
            }
        } else if (strcmp(tok, "Rolls:") == 0) {
            for (int i = 0; i < 33; i++) {
                tok = strtok_r(NULL, sep, &save);
                if (!tok) {
                    bad = 1;
                    break;
                }
                int got = (int)ckp_pcg64_bounded(&g, 6) + 1;
                CHECK(got == atoi(tok), "round %d roll %d: got %d want %s", rounds, i, got, tok);
                rolls++;
            }
        } else if (strcmp(tok, "Cards:") == 0) {
            static const char number[] = "A23456789TJQK";
            static const char suit[] = "hcds";
            int deck[52];
            for (int i = 0; i < 52; i++)
                deck[i] = i;
            for (int i = 52; i > 1; i--) {
                int j = (int)ckp_pcg64_bounded(&g, (uint64_t)i);
                int t = deck[j];
                deck[j] = deck[i - 1];
                deck[i - 1] = t;
            }
            for (int i = 0; i < 52; i++) {
                tok = strtok_r(NULL, sep, &save);
                if (!tok) {
                    bad = 1;
                    break;
                }
                char got[3] = {number[deck[i] / 4], suit[deck[i] % 4], '\0'};
                CHECK(strcmp(got, tok) == 0, "round %d card %d: got %s want %s", rounds, i, got,
                      tok);
                cards++;
            }
        } else {
            CHECK(0, "unexpected token '%s' in %s", tok, path);
            bad = 1;
        }
        if (!bad)
            tok = strtok_r(NULL, sep, &save);
    }
    CHECK(!bad, "truncated expected file");
    CHECK(rounds == 5, "rounds %d", rounds);
    CHECK(raw == 30 && again == 30 && coins == 325 && rolls == 165 && cards == 260,
          "consumed raw %d again %d coins %d rolls %d cards %d", raw, again, coins, rolls, cards);
    free(text);
}

/* ---- advance ---- */

static void test_advance(void)
{
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, 20240601u);

    /* advance(n) equals n single steps (computed without __int128). */
    ckp_pcg64 a = base, b = base;
    ckp_u128 thousand = {0, 1000};
    ckp_pcg64_advance(&a, thousand);
    for (int i = 0; i < 1000; i++)
        slow_step(&b);
    CHECK(same_gen(&a, &b), "advance(1000) != 1000 steps");

    /* advance(0) is the identity; advance(2^128 - 1) is one step back. */
    a = base;
    ckp_u128 zero = {0, 0};
    ckp_pcg64_advance(&a, zero);
    CHECK(same_gen(&a, &base), "advance(0)");
    a = base;
    slow_step(&a);
    ckp_u128 minus1 = {UINT64_MAX, UINT64_MAX};
    ckp_pcg64_advance(&a, minus1);
    CHECK(same_gen(&a, &base), "step then advance(2^128-1)");

    /* advance(n) then advance(-n) is the identity, for small and huge n. */
    const ckp_u128 ns[] = {
        {0, 1},
        {0, 6},
        {0, UINT64_C(123456789)},
        {0, UINT64_MAX},
        {1, 3},
        {UINT64_C(0x8000000000000000), 5},
        {UINT64_C(0x9E3779B97F4A7C15), UINT64_C(0xF39CC0605CEDC835)},
        {UINT64_C(0xDEADBEEFCAFEBABE), UINT64_C(0x0123456789ABCDEF)},
        {UINT64_MAX, UINT64_MAX - 1},
    };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        a = base;
        ckp_pcg64_advance(&a, ns[i]);
        CHECK(!same_gen(&a, &base), "advance(n) moved nothing, n #%zu", i);
        ckp_pcg64_advance(&a, neg128(ns[i]));
        CHECK(same_gen(&a, &base), "advance(n) advance(-n) not identity, n #%zu", i);
    }

    /* advance(x) then advance(y) equals advance(x + y mod 2^128). */
    for (size_t i = 0; i + 1 < sizeof ns / sizeof ns[0]; i++) {
        a = base;
        b = base;
        ckp_pcg64_advance(&a, ns[i]);
        ckp_pcg64_advance(&a, ns[i + 1]);
        ckp_pcg64_advance(&b, add128(ns[i], ns[i + 1]));
        CHECK(same_gen(&a, &b), "advance is not additive, pair #%zu", i);
    }

    /* Signed 64-bit advance, including the extremes. */
    const int64_t ds[] = {1, -1, 6, -6, 1000000007, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        a = base;
        ckp_pcg64_advance_signed(&a, ds[i]);
        b = base;
        ckp_u128 d = {ds[i] < 0 ? UINT64_MAX : 0, (uint64_t)ds[i]};
        ckp_pcg64_advance(&b, d);
        CHECK(same_gen(&a, &b), "advance_signed(%" PRId64 ") != unsigned equivalent", ds[i]);
        if (ds[i] != INT64_MIN) {
            ckp_pcg64_advance_signed(&a, -ds[i]);
            CHECK(same_gen(&a, &base), "advance_signed(%" PRId64 ") round trip", ds[i]);
        }
    }
    /* Stepping back reproduces the outputs. */
    a = base;
    uint64_t out[8];
    for (int i = 0; i < 8; i++)
        out[i] = ckp_pcg64_next(&a);
    ckp_pcg64_advance_signed(&a, -8);
    for (int i = 0; i < 8; i++)
        CHECK(ckp_pcg64_next(&a) == out[i], "replay after step back, %d", i);
}

/* ---- path streams ---- */

static void test_paths(void)
{
    ckp_pcg64 base;
    ckp_pcg64_from_seed(&base, 7u);

    CHECK(CKP_PATH_STRIDE.hi == UINT64_C(0x9E3779B97F4A7C15) &&
              CKP_PATH_STRIDE.lo == UINT64_C(0xF39CC0605CEDC835),
          "stride constant");
    CHECK(CKP_PATH_STRIDE.lo & 1u, "stride must be odd");

    /* Path p equals p single jumps of J. */
    ckp_pcg64 jumped = base, path;
    for (uint64_t p = 0; p <= 300; p++) {
        ckp_pcg64_path(&path, &base, p);
        CHECK(same_gen(&path, &jumped), "path %" PRIu64 " != %" PRIu64 " jumps", p, p);
        ckp_pcg64_advance(&jumped, CKP_PATH_STRIDE);
    }

    /* Path p equals advancing by p * J computed with 64-bit halves, for large p. */
    const uint64_t ps[] = {12345, UINT64_C(1) << 32, (UINT64_C(1) << 63) + 12345, UINT64_MAX};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        ckp_u128 pp = {0, ps[i]};
        ckp_pcg64 want = base;
        ckp_pcg64_advance(&want, mul128(pp, CKP_PATH_STRIDE));
        ckp_pcg64_path(&path, &base, ps[i]);
        CHECK(same_gen(&path, &want), "path %" PRIu64 " != advance(p*J)", ps[i]);
    }

    /* Path 0 is the base; the increment is shared; distinct paths differ. */
    ckp_pcg64_path(&path, &base, 0);
    CHECK(same_gen(&path, &base), "path 0 is not the base");
    ckp_pcg64 p1, p2;
    ckp_pcg64_path(&p1, &base, 1);
    ckp_pcg64_path(&p2, &base, 2);
    CHECK(p1.inc.hi == base.inc.hi && p1.inc.lo == base.inc.lo, "path changed the increment");
    CHECK(ckp_pcg64_next(&p1) != ckp_pcg64_next(&p2), "paths 1 and 2 start alike");
}

/* ---- seeding ---- */

static void test_seeding(void)
{
    /* SplitMix64 from state 0: the widely quoted first outputs of Vigna's
     * reference implementation (prng.di.unimi.it/splitmix64.c), a
     * known-answer check independent of the Python model in the interop test. */
    uint64_t x = 0;
    CHECK(ckp_splitmix64(&x) == UINT64_C(0xE220A8397B1DCDAF), "splitmix64 #1");
    CHECK(ckp_splitmix64(&x) == UINT64_C(0x6E789E6AA1B965F4), "splitmix64 #2");
    CHECK(ckp_splitmix64(&x) == UINT64_C(0x06C45D188009454F), "splitmix64 #3");
    CHECK(ckp_splitmix64(&x) == UINT64_C(0xF88BB8A8724C81EC), "splitmix64 #4");
    CHECK(x == UINT64_C(4) * UINT64_C(0x9E3779B97F4A7C15), "splitmix64 state after 4");

    /* from_seed = SplitMix64 words then the set-sequence seeding. */
    const uint64_t seeds[] = {0, 1, 42, UINT64_MAX};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        uint64_t s = seeds[i];
        ckp_u128 st, sq;
        st.hi = ckp_splitmix64(&s);
        st.lo = ckp_splitmix64(&s);
        sq.hi = ckp_splitmix64(&s);
        sq.lo = ckp_splitmix64(&s);
        ckp_pcg64 a, b;
        ckp_pcg64_from_seed(&a, seeds[i]);
        /* Set-sequence seeding written out with the 64-bit helpers. */
        b.state.hi = 0;
        b.state.lo = 0;
        b.inc.hi = (sq.hi << 1) | (sq.lo >> 63);
        b.inc.lo = (sq.lo << 1) | 1u;
        slow_step(&b);
        b.state = add128(b.state, st);
        slow_step(&b);
        CHECK(same_gen(&a, &b), "from_seed(%" PRIu64 ")", seeds[i]);
        CHECK(a.inc.lo & 1u, "increment must be odd");
    }
    ckp_pcg64 a, b;
    ckp_pcg64_from_seed(&a, 1);
    ckp_pcg64_from_seed(&b, 2);
    CHECK(!same_gen(&a, &b), "seeds 1 and 2 collide");
}

/* ---- outputs, bounded, uniforms ---- */

static void test_uniforms(void)
{
    ckp_pcg64 g, h;
    ckp_pcg64_from_seed(&g, 99u);
    h = g;

    /* The inline and out-of-line generators agree. */
    for (int i = 0; i < 1000; i++)
        CHECK(ckp_pcg64_next(&g) == ckp_pcg64_next_inline(&h), "inline next differs at %d", i);
    for (int i = 0; i < 1000; i++)
        CHECK(ckp_uniform(&g) == ckp_uniform_inline(&h), "inline uniform differs at %d", i);

    /* u = ((x >> 12) + 0.5) 2^-52; open interval; on the grid; 1 - u on the grid. */
    const double two52 = 4503599627370496.0;
    int off_grid = 0, closed = 0, mirror = 0, mismatch = 0;
    double umin = 1.0, umax = 0.0, sum = 0.0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        ckp_pcg64 peek = g;
        uint64_t x = ckp_pcg64_next(&peek);
        double u = ckp_uniform(&g);
        if (u != ((double)(x >> 12) + 0.5) / two52)
            mismatch++;
        if (!(u > 0.0 && u < 1.0))
            closed++;
        double k = u * two52 - 0.5;
        if (k != floor(k))
            off_grid++;
        double v = 1.0 - u, kv = v * two52 - 0.5;
        if (kv != floor(kv) || kv + k != two52 - 1.0)
            mirror++;
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
        sum += u;
    }
    CHECK(mismatch == 0, "%d uniforms differ from the formula", mismatch);
    CHECK(closed == 0, "%d uniforms at 0 or 1", closed);
    CHECK(off_grid == 0, "%d uniforms off the grid", off_grid);
    CHECK(mirror == 0, "%d mirrored uniforms off the grid", mirror);
    /* The extreme grid points are exactly representable and inside (0, 1). */
    CHECK(0.5 / two52 > 0.0 && (two52 - 0.5) / two52 < 1.0, "extreme grid points");
    /* Mean of n uniforms: sd 1/sqrt(12 n); allow 5 standard errors. */
    double se = 1.0 / sqrt(12.0 * n);
    CHECK(fabs(sum / n - 0.5) < 5 * se, "uniform mean %.6f", sum / n);
    CHECK(umin < 1e-4 && umax > 1 - 1e-4, "uniform range [%g, %g]", umin, umax);

    /* fill = consecutive draws, for every length around the interleaved
     * chains' group of four (and a long one), leaving the same state. */
    static double buf[1003];
    const size_t lens[] = {0, 1, 3, 4, 7, 8, 9, 10, 11, 12, 13, 17, 64, 1003};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        ckp_pcg64_from_seed(&g, 5u + k);
        ckp_pcg64_advance_signed(&g, (int64_t)k * 977);
        h = g;
        ckp_uniform_fill(&g, buf, lens[k]);
        int bad = 0;
        for (size_t i = 0; i < lens[k]; i++)
            bad += buf[i] != ckp_uniform(&h);
        CHECK(bad == 0, "fill of %zu differs from single draws at %d places", lens[k], bad);
        CHECK(same_gen(&g, &h), "fill of %zu consumed a different count", lens[k]);
    }

    /* bounded(1) is always 0 and consumes one draw when no rejection is possible. */
    ckp_pcg64_from_seed(&g, 5u);
    for (int i = 0; i < 10; i++)
        CHECK(ckp_pcg64_bounded(&g, 1) == 0, "bounded(1)");
    /* bounded(b) < b and every residue of a small bound appears. */
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t r = ckp_pcg64_bounded(&g, 7);
        CHECK(r < 7, "bounded(7) = %" PRIu64, r);
        if (r < 7)
            seen[r]++;
    }
    for (int k = 0; k < 7; k++) /* binomial(7000, 1/7): mean 1000, sd 29.3 */
        CHECK(abs(seen[k] - 1000) < 5 * 30, "bounded(7) residue %d count %d", k, seen[k]);
}

/* ---- inverse normal and normal CDF ---- */

/* Reference quantiles z = Phi^-1(p) for the exact double p, computed with
 * mpmath 1.2.1 at 60 significant digits (mp.dps = 60): for p < 0.5 by
 * findroot on log(ncdf(x)) - log(p) from -sqrt(-2 log p), checked to
 * |ncdf(z)/p - 1| < 1e-50; for p > 0.5 as -Phi^-1(1 - p) with 1 - p exact.
 * Printed to 25 digits. The p are given in hex so they are exact. */
static const struct {
    double p, z;
} norm_ref[] = {
    {0x0.0000000000001p-1022, -3.846740561714434625078436e+1},
    {0x0.012688b70e62bp-1022, -3.766306033194952373189098e+1},
    {0x1.56e1fc2f8f359p-997, -3.704709629936119923654704e+1},
    {0x1.87e92154ef7acp-665, -3.020559417957964306312401e+1},
    {0x1.bff2ee48e0530p-333, -2.127345356096532429417952e+1},
    {0x1.dee7a4ad4b81fp-167, -1.493333753478848898065821e+1},
    {0x1.79ca10c924223p-67, -9.262340089798407579572095},
    {0x1.5fd7fe1796495p-36, -6.604077590405634277615557},
    {0x1.5fd7fe1796495p-37, -6.706023155495136296102194},
    {0x1.b7cdfd9d7bdbbp-34, -6.361340902404056199100397},
    {0x1.4f8b588e368f1p-17, -4.264890793922824610233749},
    {0x1.47ae147ae147bp-7, -2.326347874040841093075096},
    {0x1.8d4fdf3b645a2p-6, -1.972961051311884837602748},
    {0x1.32ca57a786c22p-4, -1.440238267527963663112402},
    {0x1.339c0ebedfa44p-4, -1.438825392752539982435914},
    {0x1.3333333333333p-2, -5.244005127080408159694544e-1},
    {0x1.ffe5c91d14e3cp-2, -2.506628300880074923888501e-4},
    {0x1.0000000000000p-1, 0.0},
    {0x1.000d1b71758e2p-1, 2.506628300880074923888501e-4},
    {0x1.6666666666666p-1, 5.244005127080406563136292e-1},
    {0x1.d98c7e28240b8p-1, 1.438825392752540374188982},
    {0x1.d9a6b50b0f27cp-1, 1.440238267527963859387731},
    {0x1.fae147ae147aep-1, 2.326347874040840767637189},
    {0x1.fffeb074a771dp-1, 4.264890793923840769947835},
    {0x1.ffffffff24190p-1, 6.361340889697421864155442},
    {0x1.fffffffffe000p-1, 7.047700256664408725350992},
    {0x1.fffffffffffffp-1, 8.209536151601386855630769},
};

/* Reference Phi(x), mpmath 1.2.1 ncdf at 50 digits, printed to 25 digits. */
static const struct {
    double x, p;
} cdf_ref[] = {
    {-37.5, 4.605353009581954843827969e-308},
    {-20.0, 2.753624118606233695075623e-89},
    {-10.0, 7.619853024160526065973343e-24},
    {-5.0, 2.866515718791939116737523e-7},
    {-1.0, 1.586552539314570514147675e-1},
    {0.0, 0.5},
    {0.5, 6.914624612740131036377046e-1},
    {1.959963984540054, 9.74999999999999989123832e-1},
    {3.0, 9.986501019683699054733482e-1},
};

static void test_normal(void)
{
    double worst = 0.0;
    for (size_t i = 0; i < sizeof norm_ref / sizeof norm_ref[0]; i++) {
        double z = ckp_norm_inv(norm_ref[i].p);
        double want = norm_ref[i].z;
        if (want == 0.0) {
            CHECK(z == 0.0, "norm_inv(0.5) = %.17g", z);
            continue;
        }
        double rel = fabs(z / want - 1.0);
        worst = rel > worst ? rel : worst;
        CHECK(rel < 1e-15, "norm_inv(%a) = %.17g want %.17g (rel %.3g)", norm_ref[i].p, z, want,
              rel);
    }
    printf("norm_inv worst relative error vs mpmath: %.3g\n", worst);

    CHECK(ckp_norm_inv(0.0) == -INFINITY, "norm_inv(0)");
    CHECK(ckp_norm_inv(1.0) == INFINITY, "norm_inv(1)");
    CHECK(isnan(ckp_norm_inv(-0.1)) && isnan(ckp_norm_inv(1.1)) && isnan(ckp_norm_inv(NAN)),
          "norm_inv outside [0,1] must be NaN");

    for (size_t i = 0; i < sizeof cdf_ref / sizeof cdf_ref[0]; i++) {
        double x = cdf_ref[i].x, p = ckp_norm_cdf(x);
        /* erfc's argument carries one rounding; in the tail that is amplified
         * by about x^2 in relative terms. */
        double tol = 2e-16 * (4.0 + 2.0 * x * x);
        CHECK(fabs(p / cdf_ref[i].p - 1.0) < tol, "norm_cdf(%g) = %.17g want %.17g", x, p,
              cdf_ref[i].p);
    }
    CHECK(ckp_norm_cdf(-INFINITY) == 0.0 && ckp_norm_cdf(INFINITY) == 1.0, "norm_cdf(+-inf)");

    /* Round trip Phi(Phi^-1(p)) = p, on a log grid in the lower tail and a
     * linear grid elsewhere. */
    for (int k = -307; k <= -1; k++) {
        double p = pow(10.0, k) * 1.2345;
        double x = ckp_norm_inv(p);
        double tol = 1e-15 * (4.0 + 2.0 * x * x);
        CHECK(fabs(ckp_norm_cdf(x) / p - 1.0) < tol, "round trip at p = %g: %.17g", p,
              ckp_norm_cdf(x));
    }
    for (int k = 1; k < 1000; k++) {
        double p = k / 1000.0;
        CHECK(fabs(ckp_norm_cdf(ckp_norm_inv(p)) - p) < 4e-16 + 1e-15 * p, "round trip at %g",
              p);
    }

    /* Antithetic symmetry: on the uniform grid Phi^-1(1 - u) = -Phi^-1(u) exactly. */
    ckp_pcg64 g;
    ckp_pcg64_from_seed(&g, 3u);
    int asym = 0;
    for (int i = 0; i < 100000; i++) {
        double u = ckp_uniform(&g);
        if (ckp_norm_inv(1.0 - u) != -ckp_norm_inv(u))
            asym++;
    }
    CHECK(asym == 0, "%d uniforms break Phi^-1(1-u) = -Phi^-1(u)", asym);

    /* Monotone across the branch switches (|q| = 0.425, r = 5). */
    double prev = -INFINITY;
    int nonmono = 0;
    for (int i = 1; i < 20000; i++) {
        double p = i / 20000.0;
        double z = ckp_norm_inv(p);
        if (!(z > prev))
            nonmono++;
        prev = z;
    }
    CHECK(nonmono == 0, "norm_inv not increasing at %d points", nonmono);
}

/* ---- triangular ---- */

static double tri_cdf(double x, double a, double c, double b)
{
    if (x <= a)
        return 0.0;
    if (x >= b)
        return 1.0;
    if (x <= c)
        return (x - a) * (x - a) / ((b - a) * (c - a));
    return 1.0 - (b - x) * (b - x) / ((b - a) * (b - c));
}

/* The inputs that pick every branch of the inverse normal and its edges. */
static size_t norm_pool(double *pool, size_t cap)
{
    size_t n = 0;
    const double fixed[] = {0.0, -0.0, 1.0, -0.1, 1.1, -INFINITY, INFINITY, NAN, -NAN, 0.5};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        pool[n++] = fixed[i];
    /* the centre's edges |p - 0.5| = 0.425, the r = 5 split (p = e^-25) and
     * 0.5, each with its neighbours a few ulps either side */
    const double edges[] = {0.075, 0.925, exp(-25.0), 1.0 - exp(-25.0), 0.5, 0.25, 0.75};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        double lo = edges[i], hi = edges[i];
        pool[n++] = edges[i];
        for (int k = 0; k < 8; k++) {
            lo = nextafter(lo, 0.0), hi = nextafter(hi, 1.0);
            pool[n++] = lo, pool[n++] = hi;
        }
    }
    for (int k = 1; k <= 1074; k++) /* the lower tail down to the least subnormal */
        pool[n++] = ldexp(1.0, -k);
    for (int k = 1; k <= 53; k++) /* the upper tail up to the last double below 1 */
        pool[n++] = 1.0 - ldexp(1.0, -k);
    ckp_pcg64 g;
    ckp_pcg64_from_seed(&g, 99u);
    while (n < cap) /* the grid of the model's uniforms */
        pool[n++] = ckp_uniform(&g);
    return n;
}

static void test_normal_n(void)
{
    enum { POOL = 20000, N = 4 * POOL };
    static double pool[POOL], p[N], z[N], w[N];
    const size_t np = norm_pool(pool, POOL);
    /* Every pool value in every lane position, in groups mixing the branches:
     * the pool in order, then three random arrangements of it. */
    ckp_pcg64 g;
    ckp_pcg64_from_seed(&g, 7u);
    for (size_t i = 0; i < N; i++)
        p[i] = i < np ? pool[i] : pool[ckp_pcg64_bounded(&g, np)];
    int bad = 0;
    for (size_t len = 0; len <= 9; len++) { /* whole groups and every remainder */
        ckp_norm_inv_n(p + len, z, len);
        for (size_t i = 0; i < len; i++)
            bad += memcmp(&z[i], &(double){ckp_norm_inv(p[len + i])}, sizeof(double)) != 0;
    }
    ckp_norm_inv_n(p, z, N);
    int tails = 0, far = 0;
    for (size_t i = 0; i < N; i++) {
        const double want = ckp_norm_inv(p[i]);
        if (memcmp(&z[i], &want, sizeof want) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "norm_inv_n(%a) = %a, norm_inv %a\n", p[i], z[i], want);
        }
        tails += fabs(p[i] - 0.5) > 0.425;
        far += p[i] > 0.0 && (p[i] < exp(-25.0) || p[i] > 1.0 - exp(-25.0));
    }
    CHECK(bad == 0, "norm_inv_n differs from norm_inv at %d of %d inputs", bad, N);
    CHECK(tails > 1000 && far > 500, "pool reaches the tails (%d) and r > 5 (%d)", tails, far);
    /* in place */
    memcpy(w, p, sizeof p);
    ckp_norm_inv_n(w, w, N);
    CHECK(memcmp(w, z, sizeof z) == 0, "norm_inv_n in place differs");
}

static void test_triangular(void)
{
    /* Hand-checked points. */
    CHECK(ckp_tri_inv(0.5, 0.0, 0.5, 1.0) == 0.5, "symmetric median");
    CHECK(fabs(ckp_tri_inv(0.125, 0.0, 0.5, 1.0) - 0.25) < 1e-15, "u = 1/8 -> 1/4");
    CHECK(fabs(ckp_tri_inv(0.875, 0.0, 0.5, 1.0) - 0.75) < 1e-15, "u = 7/8 -> 3/4");
    CHECK(fabs(ckp_tri_inv(0.75, 0.0, 0.0, 2.0) - 1.0) < 1e-15, "mode at min");
    CHECK(fabs(ckp_tri_inv(0.25, 1.0, 3.0, 3.0) - 2.0) < 1e-15, "mode at max");
    /* CDF at the mode is (c - a)/(b - a): the inverse returns the mode there. */
    CHECK(fabs(ckp_tri_inv(0.25, 0.2, 0.3, 0.6) - 0.3) < 1e-15, "mode at F(c)");
    CHECK(ckp_tri_inv(0.3, 0.4, 0.4, 0.4) == 0.4, "degenerate a == b");

    /* F(F^-1(u)) = u and values stay in [a, b], for an asymmetric case. */
    const double a = 0.1, c = 0.25, b = 0.9;
    double prev = a;
    for (int i = 1; i < 1000; i++) {
        double u = i / 1000.0;
        double x = ckp_tri_inv(u, a, c, b);
        CHECK(x >= a && x <= b, "tri_inv out of range at %g", u);
        CHECK(fabs(tri_cdf(x, a, c, b) - u) < 1e-14, "tri round trip at %g: %.17g", u,
              tri_cdf(x, a, c, b));
        CHECK(x >= prev, "tri_inv not monotone at %g", u);
        prev = x;
    }
    /* Extreme uniforms stay inside. */
    double tiny = 0.5 * 0x1p-52;
    CHECK(ckp_tri_inv(tiny, a, c, b) >= a && ckp_tri_inv(1 - tiny, a, c, b) <= b, "extremes");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s check-pcg64.out\n", argv[0]);
        return 2;
    }
    test_pcg_vectors(argv[1]);
    test_advance();
    test_paths();
    test_seeding();
    test_uniforms();
    test_normal();
    test_normal_n();
    test_triangular();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
