#include "schedule.hpp"

#include <algorithm>
#include <cmath>

namespace pyclr {
namespace {

// Work in blocks so that cos/exp are evaluated once per block lane and advanced by exact
// rotations (cos) or multiplications (exp) in between: the inner loops are plain
// multiply-adds that vectorise at the baseline ISA, and the error stays within ~100 ulp
// because every block is re-seeded.
constexpr std::int64_t kBlock = 512;
constexpr int kLanes = 8;
constexpr std::int64_t kShortPiece = 4 * kLanes;

double scalar_value(double x, double a, double b, const Wave &w) {
    const double z = w.p + w.q * x;
    double f;
    switch (w.shape) {
        case kCos: f = std::cos(z); break;
        case kPow: f = std::pow(std::max(z, 0.0), w.k); break;
        default: f = z;
    }
    const double env = w.e != 0.0 ? std::exp(w.e * x) : 1.0;
    return a + b * env * (w.u + w.w * f);
}

// f[i] = cos(theta + q*i) for i < m (m <= kBlock), by rotating kLanes seeds.
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

// g[i] = exp(e*(x + i)) for i < m, by multiplying kLanes seeds.
void exp_block(double *g, std::int64_t m, double e, double x, double step, double lane_step) {
    double c[kLanes];
    c[0] = std::exp(e * x);
    for (int l = 1; l < kLanes; ++l) c[l] = c[l - 1] * step;
    for (std::int64_t r = 0; r < m; r += kLanes) {
        for (int l = 0; l < kLanes; ++l) g[r + l] = c[l];
        for (int l = 0; l < kLanes; ++l) c[l] *= lane_step;
    }
}

void pow_block(double *f, std::int64_t m, double t0, double origin, double p, double q, double k) {
    for (std::int64_t i = 0; i < m; ++i) f[i] = std::max(p + q * (t0 + static_cast<double>(i) - origin), 0.0);
    if (k == 1.0) return;
    if (k == 2.0) {
        for (std::int64_t i = 0; i < m; ++i) f[i] *= f[i];
    } else if (k == 0.5) {
        for (std::int64_t i = 0; i < m; ++i) f[i] = std::sqrt(f[i]);
    } else if (k == std::floor(k) && k <= 16.0) {  // small integer powers by repeated multiplication
        alignas(64) double z[kBlock];
        std::copy(f, f + m, z);
        for (int r = 1; r < static_cast<int>(k); ++r)
            for (std::int64_t i = 0; i < m; ++i) f[i] *= z[i];
    } else {
        for (std::int64_t i = 0; i < m; ++i) f[i] = std::pow(f[i], k);
    }
}

}  // namespace

// Values depend only on the step t, never on where a window or thread chunk starts:
// blocks sit on a global grid of kBlock steps (seeded at the grid point) and x = t - origin
// is formed per element. So chunked, threaded and resumed generation agree to the bit.
template <class T>
void fill_piece(T *out, std::int64_t t_lo, std::int64_t t_hi, double origin, double a, double b, const Wave &w,
                bool short_piece) {
    if (t_hi <= t_lo) return;
    if (w.shape == kLinear && w.e == 0.0) {  // affine in x: one multiply-add per element
        const double c0 = a + b * (w.u + w.w * w.p), c1 = b * w.w * w.q;
        for (std::int64_t t = t_lo; t < t_hi; ++t) out[t - t_lo] = static_cast<T>(c0 + c1 * (static_cast<double>(t) - origin));
        return;
    }
    if (short_piece) {  // too short to amortise the seeds (decided on the whole piece, not the window)
        for (std::int64_t t = t_lo; t < t_hi; ++t)
            out[t - t_lo] = static_cast<T>(scalar_value(static_cast<double>(t) - origin, a, b, w));
        return;
    }
    alignas(64) double f[kBlock];
    alignas(64) double g[kBlock];
    const double cq = std::cos(w.q), sq = std::sin(w.q);
    const double cl = std::cos(kLanes * w.q), sl = std::sin(kLanes * w.q);
    const double eq = std::exp(w.e), el = std::exp(kLanes * w.e);
    for (std::int64_t grid = t_lo - t_lo % kBlock; grid < t_hi; grid += kBlock) {
        const std::int64_t lo = std::max(grid, t_lo), hi = std::min(grid + kBlock, t_hi);
        const std::int64_t m = hi - grid;  // computed from the grid point, written from lo
        const double xg = static_cast<double>(grid) - origin;
        switch (w.shape) {
            case kCos: cos_block(f, m, w.p + w.q * xg, cq, sq, cl, sl); break;
            case kPow: pow_block(f + (lo - grid), hi - lo, static_cast<double>(lo), origin, w.p, w.q, w.k); break;
            default:
                for (std::int64_t t = lo; t < hi; ++t) f[t - grid] = w.p + w.q * (static_cast<double>(t) - origin);
        }
        T *dst = out + (lo - t_lo);
        const std::int64_t skip = lo - grid;
        if (w.e != 0.0) {
            exp_block(g, m, w.e, xg, eq, el);
            for (std::int64_t i = skip; i < m; ++i) dst[i - skip] = static_cast<T>(a + b * g[i] * (w.u + w.w * f[i]));
        } else {
            const double base = a + b * w.u, amp = b * w.w;
            for (std::int64_t i = skip; i < m; ++i) dst[i - skip] = static_cast<T>(base + amp * f[i]);
        }
    }
}

template <class T>
void fill_segments(T *out, std::int64_t n, std::int64_t start, const std::int64_t *seg_int,
                   const double *seg_flt, std::int64_t nseg) {
    for (std::int64_t s = 0; s < nseg; ++s) {
        const std::int64_t *si = seg_int + 3 * s;
        const double *sf = seg_flt + 9 * s;
        const std::int64_t lo = std::max(si[0], start), hi = std::min(si[1], start + n);
        if (lo >= hi) continue;
        const Wave w{si[2], sf[3], sf[4], sf[5], sf[6], sf[7], sf[8]};
        fill_piece(out + (lo - start), lo, hi, sf[0], sf[1], sf[2], w, si[1] - si[0] < kShortPiece);
    }
}

template <class T>
void fill_cycles(T *out, std::int64_t n, std::int64_t start, std::int64_t begin, std::int64_t end,
                 double origin, double period, std::int64_t j0, const double *cyc, std::int64_t ncyc,
                 const std::int64_t *tpl_int, const double *tpl_flt, std::int64_t npieces) {
    const std::int64_t lo_t = std::max(begin, start), hi_t = std::min(end, start + n);
    if (lo_t >= hi_t || ncyc <= 0 || npieces <= 0) return;
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
            t0 = std::max(t0, lo_t);
            t1 = std::min(t1, hi_t);
            if (t0 >= t1) continue;
            const Wave w{tpl_int[i], pf[1], pf[2], pf[3], pf[4], pf[5], pf[6]};
            fill_piece(out + (t0 - start), t0, t1, oj, a, b, w, short_piece);
        }
    }
}

#define PYCLR_INSTANTIATE(T)                                                                          \
    template void fill_piece<T>(T *, std::int64_t, std::int64_t, double, double, double, const Wave &, bool); \
    template void fill_segments<T>(T *, std::int64_t, std::int64_t, const std::int64_t *, const double *, \
                                   std::int64_t);                                                      \
    template void fill_cycles<T>(T *, std::int64_t, std::int64_t, std::int64_t, std::int64_t, double,   \
                                 double, std::int64_t, const double *, std::int64_t, const std::int64_t *, \
                                 const double *, std::int64_t);
PYCLR_INSTANTIATE(double)
PYCLR_INSTANTIATE(float)
#undef PYCLR_INSTANTIATE

}  // namespace pyclr
