// Range-test kernels on raw pointers: no Python, no allocation, no validation.
// The readable definitions (and test oracle) are in pyclr/_reference/finder.py; every
// kernel here computes the same operations in the same order, so results agree to the ulp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>

namespace pyclr {
namespace finder {

constexpr int kResultSize = 16;
constexpr int kLowessWorkRows = 8;
constexpr int kAnalyzeWorkRows = kLowessWorkRows + 1;  // lowess's rows and the clipped losses
enum Slot {
    R_BASE, R_MAX, R_MIN, R_DIVERGE, R_SIGMA, R_DROP, R_PLATEAU, R_UNSTABLE, R_START, R_STEEPEST, R_MINSLOPE, R_FLAGS,
    R_XBASE, R_XMAX, R_ANCHOR, R_ONSET
};

void ema(const double *x, std::int64_t n, double alpha, double *out);
void ema_debiased(const double *x, std::int64_t n, double beta, std::int64_t step_offset, double *out);
void gradient_index(const double *y, std::int64_t n, double *out);
void gradient_x(const double *x, const double *y, std::int64_t n, double *out);
std::int64_t argmin_nanfirst(const double *y, std::int64_t n);
std::int64_t valley_index(const double *y, std::int64_t n, double *work);
std::int64_t slide_index(const double *grad, std::int64_t n, double thresh, std::int64_t lr_diff);
std::int64_t steep_index(const double *lrs, const double *y, std::int64_t n);
std::int64_t ignite_index(const double *s, std::int64_t n);
std::int64_t stop_index(const double *s, std::int64_t n, double threshold, bool best_from_previous);
// s + (s - min y): s the median of the finite y within width / 2 of x[0] (else the first finite y);
// inf if no y is finite. work: n values.
double divergence_ceiling(const double *x, const double *y, std::int64_t n, double width, double *work);
void lowess(const double *x, const double *y, std::int64_t n, double width, std::int64_t iterations,
            double *out, double *slope, double *work);
double noise_sigma(const double *y, const double *fit, std::int64_t n, double ceiling, double *work);
// The largest a <= i <= b with every f[a..b] <= f[i] + tau (a NaN ends it).
std::pair<std::int64_t, std::int64_t> near_minimum(const double *f, std::int64_t n, std::int64_t i, double tau);
// Mean over widths 1, 1.5 and 2 x `width` of the middle of the near_minimum stretch (tau: sigma /
// sqrt(finite points in the window)) of a clipped (at `level`), non-robust local-linear fit; NaN
// if no window has weight. work: 6 * (n + 1) values.
double valley_anchor(const double *x, const double *y, std::int64_t n, double level, double width, double sigma,
                     double *work);
void find_bounds(const double *x, const double *s, const double *slope, std::int64_t n, double sigma,
                 double base_frac, double plateau_frac, double edge, double anchor, double *result);
// work: kAnalyzeWorkRows * (n + 1) values.
void analyze_run(const double *x, const double *y, std::int64_t n, double width, std::int64_t iterations,
                 double base_frac, double plateau_frac, double edge, double *fit, double *slope,
                 double *work, double *result);
std::int64_t bin_log(const double *lr, const double *loss, std::int64_t n, const double *edges, std::int64_t nb,
                     double *out_x, double *out_y, std::int64_t *out_count);
// stats[6]: first bad lr, first non-increase, #non-finite losses, last finite loss, first non-finite loss, first decrease.
void scan_log(const double *lr, const double *loss, std::int64_t n, std::int64_t *stats);

}  // namespace finder
}  // namespace pyclr
