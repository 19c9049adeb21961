/* chokepoint: random numbers (MODEL.md section 4).
 *
 * PCG64 (128-bit set-sequence LCG, XSL-RR output after the step), its O(log n)
 * advance, SplitMix64 seed expansion, path streams, bounded draws, open
 * uniforms, and the inverse-CDF transforms every variate of the model uses
 * (normal via Wichura's AS241, triangular in closed form). All functions are
 * pure functions of the state passed in: no globals. */
#include "chokepoint/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng/rng_impl.h"

__extension__ typedef unsigned __int128 u128;

/* 0x9E3779B97F4A7C15F39CC0605CEDC835: (golden ratio - 1) * 2^128, odd. It is
 * the same step numpy's PCG64.jumped() multiplies by its `jumps` argument. */
const ckp_u128 CKP_PATH_STRIDE = {UINT64_C(0x9E3779B97F4A7C15), UINT64_C(0xF39CC0605CEDC835)};

static u128 to_native(ckp_u128 v)
{
    return ((u128)v.hi << 64) | v.lo;
}

static ckp_u128 from_native(u128 v)
{
    ckp_u128 r = {(uint64_t)(v >> 64), (uint64_t)v};
    return r;
}

static u128 multiplier(void)
{
    return ((u128)CKP_PCG64_MULT_HI << 64) | CKP_PCG64_MULT_LO;
}

static void step(ckp_pcg64 *g)
{
    g->state = from_native(to_native(g->state) * multiplier() + to_native(g->inc));
}

void ckp_pcg64_seed(ckp_pcg64 *g, ckp_u128 initstate, ckp_u128 initseq)
{
    u128 inc = (to_native(initseq) << 1) | 1u;
    g->state.hi = 0;
    g->state.lo = 0;
    g->inc = from_native(inc);
    step(g);
    g->state = from_native(to_native(g->state) + to_native(initstate));
    step(g);
}

uint64_t ckp_splitmix64(uint64_t *x)
{
    /* Steele, Lea and Flood's SplitMix64 (the finaliser constants of
     * Stafford's "Mix13"), as used to seed the xoshiro family. */
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void ckp_pcg64_from_seed(ckp_pcg64 *g, uint64_t seed)
{
    uint64_t x = seed;
    ckp_u128 initstate, initseq;
    initstate.hi = ckp_splitmix64(&x);
    initstate.lo = ckp_splitmix64(&x);
    initseq.hi = ckp_splitmix64(&x);
    initseq.lo = ckp_splitmix64(&x);
    ckp_pcg64_seed(g, initstate, initseq);
}

uint64_t ckp_pcg64_next(ckp_pcg64 *g)
{
    return ckp_pcg64_next_inline(g);
}

void ckp_pcg64_advance(ckp_pcg64 *g, ckp_u128 delta)
{
    /* Brown (1994), "Random number generation with arbitrary strides": the
     * n-step map s -> A s + C of an LCG is built by binary powering of the
     * one-step map (a, c), since (a, c) composed with itself is
     * (a^2, (a + 1) c). All arithmetic is mod 2^128, so it wraps freely. */
    u128 n = to_native(delta);
    u128 cur_mult = multiplier(), cur_plus = to_native(g->inc);
    u128 acc_mult = 1, acc_plus = 0;
    while (n) {
        if (n & 1u) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1) * cur_plus;
        cur_mult *= cur_mult;
        n >>= 1;
    }
    g->state = from_native(acc_mult * to_native(g->state) + acc_plus);
}

void ckp_pcg64_advance_signed(ckp_pcg64 *g, int64_t delta)
{
    /* A negative distance -n is the same as 2^128 - n steps forward: the
     * period is exactly 2^128. Converting through int128 sign-extends. */
    __extension__ typedef __int128 i128;
    ckp_pcg64_advance(g, from_native((u128)(i128)delta));
}

void ckp_pcg64_path(ckp_pcg64 *out, const ckp_pcg64 *base, uint64_t p)
{
    *out = *base;
    ckp_pcg64_advance(out, from_native(to_native(CKP_PATH_STRIDE) * (u128)p));
}

uint64_t ckp_pcg64_bounded(ckp_pcg64 *g, uint64_t bound)
{
    /* Reject the lowest 2^64 mod bound raw values so that every residue has
     * the same number of preimages (pcg-c's boundedrand). bound = 0 would
     * divide by zero; treat it as "no bound" rather than crash. */
    if (bound == 0)
        return ckp_pcg64_next_inline(g);
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t r = ckp_pcg64_next_inline(g);
        if (r >= threshold)
            return r % bound;
    }
}

double ckp_uniform(ckp_pcg64 *g)
{
    return ckp_uniform_inline(g);
}

/* XSL-RR output of a state, as a uniform (ckp_uniform_inline's formula). */
static double uniform_of(u128 s)
{
    uint64_t hi = (uint64_t)(s >> 64), x = hi ^ (uint64_t)s;
    unsigned rot = (unsigned)(hi >> 58);
    x = (x >> rot) | (x << ((64u - rot) & 63u));
    return ((double)(x >> 12) + 0.5) * 0x1p-52;
}

void ckp_uniform_fill(ckp_pcg64 *g, double *u, size_t n)
{
    /* Four interleaved chains: states i, i+1, i+2, i+3 of the stream each
     * step four ahead by one multiply-add (a^4, c (1 + a + a^2 + a^3)), so
     * four independent 128-bit multiplies are in flight instead of one
     * dependent chain. The states and outputs are those of n single steps. */
    size_t i = 0;
    if (n >= 8) {
        const u128 a = multiplier(), c = to_native(g->inc);
        const u128 a2 = a * a, a4 = a2 * a2, c4 = c * (1 + a + a2 + a2 * a);
        u128 s0 = to_native(g->state) * a + c;
        u128 s1 = s0 * a + c, s2 = s1 * a + c, s3 = s2 * a + c;
        for (;;) {
            u[i] = uniform_of(s0);
            u[i + 1] = uniform_of(s1);
            u[i + 2] = uniform_of(s2);
            u[i + 3] = uniform_of(s3);
            i += 4;
            if (i + 4 > n)
                break;
            s0 = s0 * a4 + c4, s1 = s1 * a4 + c4, s2 = s2 * a4 + c4, s3 = s3 * a4 + c4;
        }
        g->state = from_native(s3);
    }
    for (; i < n; i++)
        u[i] = ckp_uniform_inline(g);
}

int ckp_rng_skip_init(ckp_rng_skip *sk, const ckp_pcg64 *g, size_t n)
{
    sk->n = n;
    sk->mul = malloc((n ? n : 1) * sizeof *sk->mul);
    sk->add = malloc((n ? n : 1) * sizeof *sk->add);
    if (!sk->mul || !sk->add) {
        ckp_rng_skip_free(sk);
        return -1;
    }
    const u128 a = multiplier(), c = to_native(g->inc);
    u128 am = a, ac = c; /* the one-step map; then (a am, a ac + c) per step */
    for (size_t k = 0; k < n; k++) {
        sk->mul[k] = from_native(am);
        sk->add[k] = from_native(ac);
        am *= a;
        ac = ac * a + c;
    }
    return 0;
}

void ckp_rng_skip_free(ckp_rng_skip *sk)
{
    free(sk->mul);
    free(sk->add);
    sk->mul = sk->add = NULL;
    sk->n = 0;
}

void ckp_rng_skip_over(const ckp_rng_skip *sk, ckp_pcg64 *g)
{
    if (sk->n)
        g->state = from_native(to_native(sk->mul[sk->n - 1]) * to_native(g->state) +
                               to_native(sk->add[sk->n - 1]));
}

double ckp_rng_skip_uniform(const ckp_rng_skip *sk, ckp_u128 s, size_t j)
{
    return uniform_of(to_native(sk->mul[j]) * to_native(s) + to_native(sk->add[j]));
}

/* Horner evaluation of c[0] + c[1] r + ... + c[7] r^7. */
static double poly7(const double c[8], double r)
{
    double v = c[7];
    for (int i = 6; i >= 0; i--)
        v = v * r + c[i];
    return v;
}

/* Wichura, M. J. (1988), Algorithm AS 241: The percentage points of the
 * normal distribution, Applied Statistics 37(3), 477-484; PPND16, the
 * double-precision variant (about 1 part in 1e16). Three rational
 * approximations of degree 7: the centre |p - 0.5| <= 0.425 in
 * r = 0.180625 - q^2, and the tails in r = sqrt(-log(min(p, 1-p))), split
 * at r = 5. The coefficients are those published in the paper. */
/* clang-format off */
static const double cen_num[8] = {
    3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3,
    1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
    3.3430575583588128105e+4, 2.5090809287301226727e+3};
static const double cen_den[8] = {
    1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
    2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4,
    5.2264952788528545610e+3};
static const double tail_num[8] = {
    1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
    3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
    2.27238449892691845833e-2, 7.74545014278341407640e-4};
static const double tail_den[8] = {
    1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
    1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
    1.05075007164441684324e-9};
static const double far_num[8] = {
    6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
    2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
    2.71155556874348757815e-5, 2.01033439929228813265e-7};
static const double far_den[8] = {
    1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
    7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
    2.04426310338993978564e-15};
/* clang-format on */

double ckp_norm_inv(double p)
{
    if (!(p >= 0.0 && p <= 1.0))
        return NAN;
    if (p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return INFINITY;

    /* p - 0.5 and 1 - p are exact here (Sterbenz) for p >= 0.25 and p >= 0.5,
     * so no precision is lost before the approximation. */
    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q * poly7(cen_num, r) / poly7(cen_den, r);
    }
    double r = q < 0.0 ? p : 1.0 - p;
    r = sqrt(-log(r));
    double z;
    if (r <= 5.0) {
        r -= 1.6;
        z = poly7(tail_num, r) / poly7(tail_den, r);
    } else {
        r -= 5.0;
        z = poly7(far_num, r) / poly7(far_den, r);
    }
    return q < 0.0 ? -z : z;
}

/* ---- several at a time ----------------------------------------------------- */

#if defined(__SSE2__)
/* SSE2 (every x86-64): two lanes per register. IEEE +, -, *, / in a lane
 * round as the scalar operations do, and the project builds with
 * -ffp-contract=off, so nothing is fused: each lane gets the scalar bits. */
#include <emmintrin.h>

/* poly7 in both lanes, operation for operation. */
static inline __m128d vpoly7(const double k[8], __m128d r)
{
    __m128d v = _mm_set1_pd(k[7]);
    for (int i = 6; i >= 0; i--)
        v = _mm_add_pd(_mm_mul_pd(v, r), _mm_set1_pd(k[i]));
    return v;
}

static inline __m128d pick2(__m128d no, __m128d yes, __m128d m) /* m ? yes : no */
{
    return _mm_or_pd(_mm_and_pd(m, yes), _mm_andnot_pd(m, no));
}

/* The r <= 5 tail of ckp_norm_inv in the lanes of p outside the centre
 * (`done` holds the centre's lanes as a movemask) into z; returns the
 * lanes then done. */
static inline int tail2(__m128d p, __m128d q, __m128d *z, int done)
{
    double pl[2], s[2] = {1.0, 1.0};
    _mm_storeu_pd(pl, p);
    for (int l = 0; l < 2; l++)
        if (!(done >> l & 1) && pl[l] > 0.0 && pl[l] < 1.0) {
            const double r = pl[l] - 0.5 < 0.0 ? pl[l] : 1.0 - pl[l];
            s[l] = sqrt(-log(r));
        }
    const __m128d sv = _mm_loadu_pd(s);
    const __m128d zero = _mm_setzero_pd(), one = _mm_set1_pd(1.0);
    __m128d tail = _mm_and_pd(_mm_cmpgt_pd(p, zero), _mm_cmplt_pd(p, one));
    tail = _mm_and_pd(tail, _mm_cmple_pd(sv, _mm_set1_pd(5.0)));
    tail = _mm_andnot_pd(
        _mm_castsi128_pd(_mm_set_epi64x(-(long long)(done >> 1 & 1), -(long long)(done & 1))),
        tail);
    const __m128d t = _mm_sub_pd(sv, _mm_set1_pd(1.6));
    __m128d zt = _mm_div_pd(vpoly7(tail_num, t), vpoly7(tail_den, t));
    zt = pick2(zt, _mm_xor_pd(zt, _mm_set1_pd(-0.0)), _mm_cmplt_pd(q, zero));
    *z = pick2(*z, zt, tail);
    return done | _mm_movemask_pd(tail);
}

static inline void norm_inv2(const double *pin, double *zout)
{
    const __m128d p = _mm_loadu_pd(pin);
    const __m128d q = _mm_sub_pd(p, _mm_set1_pd(0.5));
    const __m128d cen =
        _mm_and_pd(_mm_cmple_pd(q, _mm_set1_pd(0.425)), _mm_cmpge_pd(q, _mm_set1_pd(-0.425)));
    const __m128d r = _mm_sub_pd(_mm_set1_pd(0.180625), _mm_mul_pd(q, q));
    __m128d z = _mm_div_pd(_mm_mul_pd(q, vpoly7(cen_num, r)), vpoly7(cen_den, r));
    int done = _mm_movemask_pd(cen);
    if (done != 3)
        done = tail2(p, q, &z, done);
    double zl[2], pl[2];
    _mm_storeu_pd(zl, z);
    if (done != 3) { /* p <= 0, p >= 1, NaN or r > 5: the scalar function */
        _mm_storeu_pd(pl, p);
        for (int l = 0; l < 2; l++)
            if (!(done >> l & 1))
                zl[l] = ckp_norm_inv(pl[l]);
    }
    zout[0] = zl[0], zout[1] = zl[1];
}

void ckp_norm_inv_n(const double *p, double *z, size_t n)
{
    size_t i = 0;
    for (; i + 2 <= n; i += 2)
        norm_inv2(p + i, z + i);
    if (i < n)
        z[i] = ckp_norm_inv(p[i]);
}
#else
void ckp_norm_inv_n(const double *p, double *z, size_t n)
{
    for (size_t i = 0; i < n; i++)
        z[i] = ckp_norm_inv(p[i]);
}
#endif

double ckp_norm_cdf(double x)
{
    /* Phi(x) = erfc(-x / sqrt 2) / 2: unlike 1 + erf, erfc keeps full relative
     * precision in the lower tail, and the upper tail 1 - Phi is itself only
     * representable to absolute precision. */
    return 0.5 * erfc(-x * 0.70710678118654752440);
}

double ckp_tri_inv(double u, double a, double c, double b)
{
    /* Closed-form inverse of the triangular CDF: left of the mode the CDF is
     * (x - a)^2 / ((b - a)(c - a)), right of it 1 - (b - x)^2 / ((b - a)(b - c)).
     * Using 1 - u on the right keeps the antithetic pair symmetric. */
    if (!(a < b))
        return a;
    double width = b - a;
    double fc = (c - a) / width;
    double x;
    if (u < fc)
        x = a + sqrt(u * width * (c - a));
    else
        x = b - sqrt((1.0 - u) * width * (b - c));
    /* Rounding must not push a value outside [a, b] (block fractions are
     * probabilities). */
    if (x < a)
        x = a;
    if (x > b)
        x = b;
    return x;
}
