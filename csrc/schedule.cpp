#include "schedule.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace pyclr {
namespace {

// Work in blocks of kBlock steps on a global grid: cos/exp are evaluated once per block lane
// and advanced by exact rotations (cos) or multiplications (exp) in between, so the inner
// loops are plain multiply-adds that vectorise at the baseline ISA, and the error stays
// within ~100 ulp because every block is re-seeded. Wave and envelope are staged in
// L1-resident blocks; the last pass combines them and stores (see store_values).
constexpr std::int64_t kBlock = 512;
constexpr int kLanes = 8;
constexpr std::int64_t kShortPiece = 4 * kLanes;
// Outputs at least this large are written with non-temporal stores: they cannot stay in
// cache anyway, and streaming skips the read-for-ownership of every destination line.
constexpr std::int64_t kStreamBytes = std::int64_t{1} << 24;

// from, from + 1, ..., from + kBlock-1 as doubles: t = grid + i is formed as double(grid) +
// kIota[i], exactly (|t| < 2^53), which vectorises where an int64 -> double conversion does not
// (SSE2). kCentred counts from the block's middle.
struct Iota {
    double v[kBlock];
    constexpr explicit Iota(std::int64_t from) : v() {
        for (std::int64_t i = 0; i < kBlock; ++i) v[i] = static_cast<double>(from + i);
    }
};
constexpr Iota kIota{0}, kCentred{-kBlock / 2};

// The final pass of a block is a function value(i, lane) of the block lane i, written once with
// a double lane and once with a Pair (SSE2: lanes i and i + 1 in one register, with arithmetic
// operators in GCC and Clang) so that streamed stores come straight from the registers.
// at(p, lane) loads p[0], or the pair p[0], p[1].
inline double at(const double *p, double) { return *p; }
// x clamped to [lo, hi], for a double or a Pair
inline double clamp(double x, double lo, double hi) { return std::min(std::max(x, lo), hi); }
// Learning rates and momenta are never negative; in exact arithmetic no piece goes below 0, but
// rounding in subnormals (an odd multiple of 5e-324 halved) can leave -5e-324 at a piece's end.
inline double nonneg(double x) { return std::max(x, 0.0); }
#if defined(__SSE2__)
using Pair = __m128d;
inline Pair at(const double *p, Pair) { return _mm_loadu_pd(p); }
inline Pair clamp(Pair x, double lo, double hi) { return _mm_min_pd(_mm_max_pd(x, _mm_set1_pd(lo)), _mm_set1_pd(hi)); }
inline Pair nonneg(Pair x) { return _mm_max_pd(x, _mm_setzero_pd()); }
#endif

// Every LINEAR and POW piece runs z over [0, 1] (a position within a phase); clamping there (and
// the rotated cosines to [-1, 1]) keeps rounding at a piece's ends from carrying a value past
// the piece's end value: a decay to 0 would otherwise end at -1e-17, a negative learning rate.
inline double unit(double z) { return clamp(z, 0.0, 1.0); }

double scalar_value(double x, double a, double b, const Wave &w) {
    const double z = w.p + w.q * x;
    double f;
    switch (w.shape) {
        case kCos: f = std::cos(z); break;
        case kPow: f = std::pow(unit(z), w.k); break;
        default: f = unit(z);
    }
    const double env = w.e != 0.0 ? std::exp(w.e * x) : 1.0;
    return nonneg(a + b * env * (w.u + w.w * f));
}

// f[i] = cos(theta + q*i) for i < m, by rotating kLanes seeds (a rotated value may stray past
// +-1 by an ulp or two: the passes that read f clamp it); writes f up to m rounded up to kLanes.
void cos_block(double *f, std::int64_t m, double theta, double cq, double sq, double cl, double sl) {
    double c[kLanes], s[kLanes];
    c[0] = std::cos(theta);
    s[0] = std::sin(theta);
    for (int l = 1; l < kLanes; ++l) {
        c[l] = c[l - 1] * cq - s[l - 1] * sq;
        s[l] = s[l - 1] * cq + c[l - 1] * sq;
    }
    for (std::int64_t r = 0; r < m; r += kLanes) {
        for (int l = 0; l < kLanes; ++l) f[r + l] = c[l];
        for (int l = 0; l < kLanes; ++l) {
            const double nc = c[l] * cl - s[l] * sl;
            s[l] = s[l] * cl + c[l] * sl;
            c[l] = nc;
        }
    }
}

// An envelope steeper than this per step spans more than exp(64) over a block: its seed could
// underflow to 0 (or lose its precision to subnormals) while the values it grows into are
// normal, so such a block takes exp per step instead of the seeded products.
constexpr double kSteepEnvelope = 64.0 / kBlock;

// g[i] = exp(e*(x + i)) for i < m, by multiplying kLanes seeds; writes g up to m rounded up to
// kLanes.
void exp_block(double *g, std::int64_t m, double e, double x, double step, double lane_step) {
    if (std::fabs(e) > kSteepEnvelope) {
        for (std::int64_t i = 0; i < m; ++i) g[i] = std::exp(e * (x + static_cast<double>(i)));
        return;
    }
    double c[kLanes];
    c[0] = std::exp(e * x);
    for (int l = 1; l < kLanes; ++l) c[l] = c[l - 1] * step;
    for (std::int64_t r = 0; r < m; r += kLanes) {
        for (int l = 0; l < kLanes; ++l) g[r + l] = c[l];
        for (int l = 0; l < kLanes; ++l) c[l] *= lane_step;
    }
}

// dst[i - lo] = value(i) for lo <= i < hi: plain stores, or non-temporal ones (aligned body,
// scalar ends). Streaming from the pass that computes the values, rather than from a staged
// block, spreads the stores over the computation instead of issuing a block's worth at once,
// which stalls on the write-combining buffers.
template <class T, class Value>
void store_values(T *dst, std::int64_t lo, std::int64_t hi, bool stream, Value value) {
    std::int64_t i = lo;
#if defined(__SSE2__)
    if (!stream) {
        // explicit pairs rather than the auto-vectoriser: the clamps of the passes are then one
        // minpd/maxpd each (GCC vectorises std::min/std::max on doubles only as compare-and-blend)
        constexpr std::int64_t lanes = 16 / sizeof(T);
        for (; i + lanes <= hi; i += lanes) {
            if constexpr (sizeof(T) == 8) {
                _mm_storeu_pd(reinterpret_cast<double *>(dst + (i - lo)), value(i, Pair{}));
            } else {
                const __m128 a = _mm_cvtpd_ps(value(i, Pair{})), b = _mm_cvtpd_ps(value(i + 2, Pair{}));
                _mm_storeu_ps(reinterpret_cast<float *>(dst + (i - lo)), _mm_movelh_ps(a, b));
            }
        }
    }
    if (stream) {
        constexpr std::int64_t lanes = 16 / sizeof(T);
        for (; i < hi && reinterpret_cast<std::uintptr_t>(dst + (i - lo)) % 16 != 0; ++i)
            dst[i - lo] = static_cast<T>(value(i, 0.0));
        if (reinterpret_cast<std::uintptr_t>(dst + (i - lo)) % 16 == 0) {
            for (; i + lanes <= hi; i += lanes) {
                if constexpr (sizeof(T) == 8) {
                    _mm_stream_pd(reinterpret_cast<double *>(dst + (i - lo)), value(i, Pair{}));
                } else {
                    const __m128 a = _mm_cvtpd_ps(value(i, Pair{})), b = _mm_cvtpd_ps(value(i + 2, Pair{}));
                    _mm_stream_ps(reinterpret_cast<float *>(dst + (i - lo)), _mm_movelh_ps(a, b));
                }
            }
        }
    }
#else
    (void)stream;
#endif
    for (; i < hi; ++i) dst[i - lo] = static_cast<T>(value(i, 0.0));
}

constexpr int kMaxTerms = 16;

// Powers with an exact cheap form, done by pow_block: small integers and square roots.
bool exact_power(double k) { return k == 0.5 || (k == std::floor(k) && k <= 16.0); }

// z**k on one grid block by a series, for z affine in the step: z_first, z_mid, z_last are z at
// the block's grid points 0, kBlock/2 and kBlock-1, so the choice depends on the block and the
// piece, never on the window (chunked generation stays identical to the bit).
//
// Around c = z_mid, z**k = c**k (1 + u)**k with u = (z - c)/c, |u| <= delta over the block; for
// a long decay delta is tiny (1e-5 over most of a 10M-step run) and the binomial series
// sum_j C(k, j) u^j, cut where its terms fall below 2^-56 relative, costs a few multiply-adds
// per element that vectorise, instead of a scalar std::pow call. Writes coef[0..terms] =
// C(k, j) and returns terms; 0 where z nears 0 relative to its change over the block (more than
// kMaxTerms terms, or delta >= 1/4): the caller then uses pow_block.
int series_terms(double z_first, double z_mid, double z_last, double k, double *coef) {
    if (!(z_first > 0.0 && z_mid > 0.0 && z_last > 0.0)) return 0;
    const double delta = std::max(std::fabs(z_first - z_mid), std::fabs(z_last - z_mid)) / z_mid;
    coef[0] = 1.0;
    double power = 1.0;
    for (int terms = 1; delta < 0.25 && terms <= kMaxTerms; ++terms) {
        coef[terms] = coef[terms - 1] * (k - (terms - 1)) / terms;
        power *= delta;
        if (std::fabs(coef[terms]) * power < 0x1p-56) return terms;
    }
    return 0;
}

// dst[i - lo] = sum_{j <= K} coef[j] u_i^j for lo <= i < hi, clamped to [vlo, vhi] (the range
// of z**k, or of the values it is folded into), with u_i = (i - kBlock/2) * r: in a series block
// z_i = c + q*(i - kBlock/2) (z affine), so u_i = (z_i - c)/c is affine in the lane index with
// r = q/c and needs no z. One pass, unrolled Horner.
template <int K, class T>
void series_pass(T *dst, std::int64_t lo, std::int64_t hi, bool stream, double r, const double *coef, double vlo,
                 double vhi) {
    double c[K + 1];  // a local copy: the stores cannot alias it, so it stays in registers
    std::copy(coef, coef + K + 1, c);
    store_values(dst, lo, hi, stream, [&](std::int64_t i, auto lane) {
        const auto u = at(kCentred.v + i, lane) * r;
        auto acc = u * c[K] + c[K - 1];
        for (int j = K - 2; j >= 0; --j) acc = acc * u + c[j];
        return clamp(acc, vlo, vhi);
    });
}

template <class T, int... K>
void series_dispatch(T *dst, std::int64_t lo, std::int64_t hi, bool stream, double r, const double *coef,
                     double vlo, double vhi, int terms, std::integer_sequence<int, K...>) {
    ((terms == K + 1 ? series_pass<K + 1>(dst, lo, hi, stream, r, coef, vlo, vhi) : void()), ...);
}

template <class T>
void series(T *dst, std::int64_t lo, std::int64_t hi, bool stream, double r, const double *coef, double vlo,
            double vhi, int terms) {
    series_dispatch(dst, lo, hi, stream, r, coef, vlo, vhi, terms, std::make_integer_sequence<int, kMaxTerms>{});
}

// f[i] = f[i]**k for lo <= i < hi (f clamped to [0, 1]) where the series does not apply: exact forms
// for small integers and 1/2, std::pow otherwise.
void pow_block(double *f, std::int64_t lo, std::int64_t hi, double k) {
    if (k == 1.0) return;
    if (k == 2.0) {
        for (std::int64_t i = lo; i < hi; ++i) f[i] *= f[i];
        return;
    }
    if (k == 0.5) {
        for (std::int64_t i = lo; i < hi; ++i) f[i] = std::sqrt(f[i]);
        return;
    }
    if (exact_power(k)) {  // small integer powers by repeated multiplication
        alignas(64) double z[kBlock];
        std::copy(f + lo, f + hi, z + lo);
        if (k == 0.0) std::fill(f + lo, f + hi, 1.0);
        for (int r = 1; r < static_cast<int>(k); ++r)
            for (std::int64_t i = lo; i < hi; ++i) f[i] *= z[i];
        return;
    }
    for (std::int64_t i = lo; i < hi; ++i) f[i] = std::pow(f[i], k);
}

void store_fence(bool stream) {
#if defined(__SSE2__)
    if (stream) _mm_sfence();  // order the streamed stores before the kernel returns
#else
    (void)stream;
#endif
}

// Whether a window of n values is streamed: only large windows whose memory is already in
// use (a reused out= buffer). Into freshly allocated pages, plain stores are faster: each page
// fault zeroes the page through the cache, and plain stores then hit it while it is hot,
// where streaming would have to evict it first.
template <class T>
bool streams(T *out, std::int64_t n) {
    if (n * static_cast<std::int64_t>(sizeof(T)) < kStreamBytes) return false;
#if defined(__linux__)
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    unsigned char resident = 0;  // the last page: the allocator writes its header on the first
    void *last = reinterpret_cast<void *>(reinterpret_cast<std::uintptr_t>(out + n - 1) / page * page);
    return mincore(last, page, &resident) == 0 && (resident & 1);
#else
    return true;
#endif
}

}  // namespace

// Values depend only on the step t, never on where a window or thread chunk starts:
// blocks sit on a global grid of kBlock steps (seeded at the grid point, or at the piece's first
// step where the piece starts inside the block) and x = t - origin is formed per element (a
// linear z per block from its grid point). So chunked, threaded and resumed generation agree to
// the bit.
template <class T>
void fill_piece(T *out, std::int64_t t_lo, std::int64_t t_hi, std::int64_t first, double origin, double a, double b,
                const Wave &w, bool short_piece, bool stream) {
    if (t_hi <= t_lo) return;
    if (short_piece && !(w.shape == kLinear && w.e == 0.0)) {
        // too short to amortise the seeds (decided on the whole piece, not the window)
        for (std::int64_t t = t_lo; t < t_hi; ++t)
            out[t - t_lo] = static_cast<T>(scalar_value(static_cast<double>(t) - origin, a, b, w));
        return;
    }
    // cos_block and exp_block write whole rows of kLanes from the seed
    alignas(64) double f[kBlock + kLanes];
    alignas(64) double g[kBlock + kLanes];
    const double cq = std::cos(w.q), sq = std::sin(w.q);
    const double cl = std::cos(kLanes * w.q), sl = std::sin(kLanes * w.q);
    const double eq = std::exp(w.e), el = std::exp(kLanes * w.e);
    // b*u and b*w stay within |b| (|u|, |w| <= 1 in every piece), and a + b*u is the value at F = 0
    const double base = a + b * w.u, amp = b * w.w;
    const double *iota = kIota.v;
    for (std::int64_t grid = t_lo - t_lo % kBlock; grid < t_hi; grid += kBlock) {
        const std::int64_t lo = std::max(grid, t_lo), hi = std::min(grid + kBlock, t_hi);
        const std::int64_t m = hi - grid, skip = lo - grid;  // computed from the grid point, written from lo
        // The cos and exp lanes are seeded at the piece's first step where the piece starts inside
        // the block: an envelope that decays steeply within the piece, seeded steps before it
        // (exp(-e*511) with e = log(1e-300)), would overflow and turn the whole block into NaN.
        const std::int64_t seed = std::max(grid, first) - grid;
        const double gd = static_cast<double>(grid), xg = gd - origin, xs = (gd + iota[seed]) - origin;
        T *dst = out + (lo - t_lo);
        // A fractional power takes the series where the block allows (see series_terms), with
        // the block's constants folded into the coefficients: c**k always, and with no envelope
        // also amp and base, v = base + amp*c**k * sum_j C(k, j) u^j, so one pass stores the values.
        double coef[kMaxTerms + 1];
        int terms = 0;
        double r = 0.0;
        if (w.shape == kPow && !exact_power(w.k)) {
            const double zm = w.p + w.q * ((gd + iota[kBlock / 2]) - origin);
            terms = series_terms(w.p + w.q * xg, zm, w.p + w.q * ((gd + iota[kBlock - 1]) - origin), w.k, coef);
            if (terms > 0) {
                r = w.q / zm;
                const double scale = std::pow(zm, w.k) * (w.e == 0.0 ? amp : 1.0);
                for (int j = 0; j <= terms; ++j) coef[j] *= scale;
                if (w.e == 0.0) coef[0] += base;
            }
        }
        if (w.shape == kLinear && w.e == 0.0) {
            // base + amp*z, not the affine c0 + c1*x: c0, the value at x = 0, may lie far outside
            // the piece (a falling phase extrapolated back to its cycle's start) and overflow.
            // z is formed from its value at the grid point, one multiply-add per element.
            const double q = w.q, zg = w.p + w.q * xg;
            store_values(dst, skip, m, stream, [&](std::int64_t i, auto lane) {
                return nonneg(base + amp * clamp(zg + q * at(iota + i, lane), 0.0, 1.0));
            });
        } else if (terms > 0 && w.e == 0.0) {
            series(dst, skip, m, stream, r, coef, nonneg(std::min(base, base + amp)), std::max(base, base + amp), terms);
        } else {
            switch (w.shape) {
                case kCos: cos_block(f + seed, m - seed, w.p + w.q * xs, cq, sq, cl, sl); break;
                case kPow:
                    if (terms > 0) {
                        series(f + skip, skip, m, false, r, coef, 0.0, 1.0, terms);
                        break;
                    }
                    for (std::int64_t i = skip; i < m; ++i) f[i] = unit(w.p + w.q * ((gd + iota[i]) - origin));
                    pow_block(f, skip, m, w.k);
                    break;
                default:
                    for (std::int64_t i = skip; i < m; ++i) f[i] = unit(w.p + w.q * ((gd + iota[i]) - origin));
            }
            // rotated cosines back within [-1, 1]; the other shapes are already within [0, 1]
            const double flo = w.shape == kCos ? -1.0 : 0.0;
            if (w.e != 0.0) {
                exp_block(g + seed, m - seed, w.e, xs, eq, el);
                const double wu = w.u, ww = w.w;  // locals: stores into out could alias w
                store_values(dst, skip, m, stream, [&](std::int64_t i, auto lane) {
                    return nonneg(a + b * at(g + i, lane) * (wu + ww * clamp(at(f + i, lane), flo, 1.0)));
                });
            } else {
                store_values(dst, skip, m, stream,
                             [&](std::int64_t i, auto lane) { return nonneg(base + amp * clamp(at(f + i, lane), flo, 1.0)); });
            }
        }
    }
}

template <class T>
void fill_segments(T *out, std::int64_t n, std::int64_t start, const std::int64_t *seg_int,
                   const double *seg_flt, std::int64_t nseg) {
    const bool stream = streams(out, n);
    for (std::int64_t s = 0; s < nseg; ++s) {
        const std::int64_t *si = seg_int + 3 * s;
        const double *sf = seg_flt + 9 * s;
        const std::int64_t lo = std::max(si[0], start), hi = std::min(si[1], start + n);
        if (lo >= hi) continue;
        const Wave w{si[2], sf[3], sf[4], sf[5], sf[6], sf[7], sf[8]};
        fill_piece(out + (lo - start), lo, hi, si[0], sf[0], sf[1], sf[2], w, si[1] - si[0] < kShortPiece, stream);
    }
    store_fence(stream);
}

template <class T>
void fill_cycles(T *out, std::int64_t n, std::int64_t start, std::int64_t begin, std::int64_t end,
                 double origin, double period, std::int64_t j0, const double *cyc, std::int64_t ncyc,
                 const std::int64_t *tpl_int, const double *tpl_flt, std::int64_t npieces) {
    const std::int64_t lo_t = std::max(begin, start), hi_t = std::min(end, start + n);
    if (lo_t >= hi_t || ncyc <= 0 || npieces <= 0) return;
    const bool stream = streams(out, n);
    const auto first = static_cast<std::int64_t>(std::floor((static_cast<double>(lo_t) - origin) / period)) - 1;
    const auto last = static_cast<std::int64_t>(std::floor((static_cast<double>(hi_t) - origin) / period)) + 1;
    for (std::int64_t j = std::max(first, j0); j <= std::min(last, j0 + ncyc - 1); ++j) {
        const double oj = origin + static_cast<double>(j) * period;
        const double onext = origin + static_cast<double>(j + 1) * period;
        const double a = cyc[2 * (j - j0)], b = cyc[2 * (j - j0) + 1];
        for (std::int64_t i = 0; i < npieces; ++i) {
            const double *pf = tpl_flt + 7 * i;
            auto t0 = static_cast<std::int64_t>(std::ceil(oj + pf[0]));
            auto t1 = static_cast<std::int64_t>(std::ceil(i + 1 < npieces ? oj + pf[7] : onext));
            const bool short_piece = t1 - t0 < kShortPiece;
            const std::int64_t first = t0;
            t0 = std::max(t0, lo_t);
            t1 = std::min(t1, hi_t);
            if (t0 >= t1) continue;
            const Wave w{tpl_int[i], pf[1], pf[2], pf[3], pf[4], pf[5], pf[6]};
            fill_piece(out + (t0 - start), t0, t1, first, oj, a, b, w, short_piece, stream);
        }
    }
    store_fence(stream);
}

#define PYCLR_INSTANTIATE(T)                                                                                \
    template void fill_piece<T>(T *, std::int64_t, std::int64_t, std::int64_t, double, double, double,       \
                                const Wave &, bool, bool);                                                  \
    template void fill_segments<T>(T *, std::int64_t, std::int64_t, const std::int64_t *, const double *,    \
                                   std::int64_t);                                                            \
    template void fill_cycles<T>(T *, std::int64_t, std::int64_t, std::int64_t, std::int64_t, double,         \
                                 double, std::int64_t, const double *, std::int64_t, const std::int64_t *,   \
                                 const double *, std::int64_t);
PYCLR_INSTANTIATE(double)
PYCLR_INSTANTIATE(float)
#undef PYCLR_INSTANTIATE

}  // namespace pyclr
