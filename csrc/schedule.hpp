// Schedule kernels: fill an array of learning rates (or momenta) from compiled pieces.
//
// A piece evaluates, at integer step t with x = t - origin,
//     value = a + b * exp(e*x) * (u + w*F(p + q*x)),   F = identity | cos | pow(., k)
// (the argument of identity and pow clamped to [0, 1])
// See pyclr/_reference/schedule.py for the readable definition. Kernels take raw pointers,
// never allocate on the heap, never validate and never touch Python.
#pragma once

#include <cstdint>

namespace pyclr {

enum Shape : std::int64_t { kLinear = 0, kCos = 1, kPow = 2 };

struct Wave {
    std::int64_t shape;
    double e, u, w, p, q, k;
};

// out[t - t_lo] = piece value at x = t - origin, for t in [t_lo, t_hi). first (the piece's first
// step) and short_piece (direct evaluation rather than blocked) are properties of the whole piece,
// not of the window; stream selects non-temporal stores (for outputs far larger than the cache;
// the caller fences).
template <class T>
void fill_piece(T *out, std::int64_t t_lo, std::int64_t t_hi, std::int64_t first, double origin, double a, double b,
                const Wave &wave, bool short_piece, bool stream);

// seg_int: nseg rows of (begin, end, shape); seg_flt: nseg rows of (origin, a, b, e, u, w, p, q, k).
// Writes the steps of each segment that fall in the window [start, start + n).
template <class T>
void fill_segments(T *out, std::int64_t n, std::int64_t start, const std::int64_t *seg_int,
                   const double *seg_flt, std::int64_t nseg);

// A repeating template of npieces pieces; cycle j starts at origin + j*period and has bounds
// cyc[2*(j - j0)], cyc[2*(j - j0) + 1]. tpl_int: shape per piece; tpl_flt rows: (lo, e, u, w, p, q, k).
template <class T>
void fill_cycles(T *out, std::int64_t n, std::int64_t start, std::int64_t begin, std::int64_t end,
                 double origin, double period, std::int64_t j0, const double *cyc, std::int64_t ncyc,
                 const std::int64_t *tpl_int, const double *tpl_flt, std::int64_t npieces);

}  // namespace pyclr
