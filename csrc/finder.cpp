// Range-test kernels. See finder.hpp; the reference is pyclr/_reference/finder.py.
#include "finder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pyclr {
namespace finder {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Median of work[0..m) (reorders it); NumPy's definition for even m.
double median_inplace(double *work, std::int64_t m) {
    std::int64_t k = m / 2;
    std::nth_element(work, work + k, work + m);
    double hi = work[k];
    if (m % 2 == 1) return hi;
    double lo = *std::max_element(work, work + k);
    return (lo + hi) / 2.0;
}
}  // namespace

void ema(const double *x, std::int64_t n, double alpha, double *out) {
    if (n <= 0) return;
    const double keep = 1.0 - alpha;
    double s = x[0];
    out[0] = s;
    for (std::int64_t k = 1; k < n; ++k) {
        s = alpha * x[k] + keep * s;
        out[k] = s;
    }
}

void ema_debiased(const double *x, std::int64_t n, double beta, std::int64_t step_offset, double *out) {
    const double one_minus = 1.0 - beta;
    double a = 0.0, p = 1.0;
    for (std::int64_t i = 0; i < step_offset; ++i) p *= beta;
    std::int64_t k = 0;
    // Below 1e-17, 1 - p rounds to exactly 1, so p is dropped: the output is unchanged and the
    // products never reach subnormals (which cost ~100 cycles each on x86).
    for (; k < n && p != 0.0; ++k) {
        a = beta * a + one_minus * x[k];
        p *= beta;
        if (p < 1e-17) p = 0.0;
        out[k] = a / (1.0 - p);
    }
    for (; k < n; ++k) {
        a = beta * a + one_minus * x[k];
        out[k] = a;
    }
}

void gradient_index(const double *y, std::int64_t n, double *out) {
    out[0] = y[1] - y[0];
    out[n - 1] = y[n - 1] - y[n - 2];
    for (std::int64_t i = 1; i + 1 < n; ++i) out[i] = (y[i + 1] - y[i - 1]) / 2.0;
}

void gradient_x(const double *x, const double *y, std::int64_t n, double *out) {
    out[0] = (y[1] - y[0]) / (x[1] - x[0]);
    out[n - 1] = (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2]);
    for (std::int64_t i = 1; i + 1 < n; ++i) {
        const double h0 = x[i] - x[i - 1], h1 = x[i + 1] - x[i];
        const double a = -h1 / (h0 * (h0 + h1));
        const double b = (h1 - h0) / (h0 * h1);
        const double c = h0 / (h1 * (h0 + h1));
        out[i] = a * y[i - 1] + b * y[i] + c * y[i + 1];
    }
}

std::int64_t argmin_nanfirst(const double *y, std::int64_t n) {
    std::int64_t best = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        if (std::isnan(y[i])) return i;
        if (y[i] < y[best]) best = i;
    }
    return best;
}

std::int64_t valley_index(const double *y, std::int64_t n, double *work) {
    // work[l] = negated largest last value of a strictly decreasing subsequence of length l+1.
    std::int64_t m = 0, best_len = 1, best_end = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double v = y[i];
        if (std::isnan(v)) continue;
        const double key = -v;
        const std::int64_t pos = std::lower_bound(work, work + m, key) - work;
        work[pos] = key;
        if (pos == m) ++m;
        if (pos + 1 > best_len) {
            best_len = pos + 1;
            best_end = i;
        }
    }
    if (best_len == 1) return 0;  // fastai never moves max_start/max_end off 0 then
    const double sections = static_cast<double>(best_len) / 3.0;
    return best_end - best_len + static_cast<std::int64_t>(sections) + static_cast<std::int64_t>(sections / 2.0);
}

std::int64_t slide_index(const double *grad, std::int64_t n, double thresh, std::int64_t lr_diff) {
    std::int64_t r = n - 1, l = n - 1 - lr_diff, ans = l;
    while (l >= 0 && std::fabs(grad[r] - grad[l]) > thresh) {
        ans = l;
        --r;
        --l;
    }
    return ans;
}

std::int64_t steep_index(const double *lrs, const double *y, std::int64_t n) {
    std::int64_t best = 0;
    double bestv = 0.0;
    for (std::int64_t i = 0; i + 1 < n; ++i) {
        const double d = (y[i + 1] - y[i]) / (std::log(lrs[i + 1]) - std::log(lrs[i]));
        if (std::isnan(d)) return i;
        if (i == 0 || d < bestv) {
            best = i;
            bestv = d;
        }
    }
    return best;
}

std::int64_t ignite_index(const double *s, std::int64_t n) {
    const std::int64_t m = argmin_nanfirst(s, n);
    if (m < 2) return -1;
    std::int64_t best = 0;
    double bestv = 0.0;
    for (std::int64_t i = 1; i < m; ++i) {
        const double g = 0.5 * (s[i + 1] - s[i - 1]);
        if (std::isnan(g)) return i;
        if (i == 1 || g < bestv) {
            best = i - 1;
            bestv = g;
        }
    }
    return best + 1;
}

std::int64_t stop_index(const double *s, std::int64_t n, double threshold, bool best_from_previous) {
    if (n <= 0) return 0;
    double best = s[0];
    for (std::int64_t k = 1; k < n; ++k) {
        const double v = s[k];
        if (!best_from_previous && v < best) best = v;
        if (v > threshold * best) return k + 1;
        if (best_from_previous && v < best) best = v;
    }
    return n;
}

namespace {
// Median of the finite y among indices j-2 .. j+2 (clipped): the middle value, or the mean of
// the two middle values when their count is even (pyclr._reference.finder._median5).
double median5(const double *y, std::int64_t n, std::int64_t j) {
    double v[5];
    int k = 0;
    const std::int64_t a = j - 2 > 0 ? j - 2 : 0, e = j + 3 < n ? j + 3 : n;
    for (std::int64_t i = a; i < e; ++i) {
        const double t = y[i];
        if (t != t) continue;
        int p = k;
        while (p > 0 && v[p - 1] > t) {
            v[p] = v[p - 1];
            --p;
        }
        v[p] = t;
        ++k;
    }
    if (k % 2 == 1) return v[k / 2];
    return (v[k / 2 - 1] + v[k / 2]) / 2.0;
}

// Prefix sums for weighted least-squares lines over windows: P[0..4][i + 1] hold the sums over
// j <= i of w, w*xc, w*xc^2, w*yy and w*xc*yy, with xc = x - x0 and yy = min(y, clip) (0 where
// y is NaN). w == nullptr stands for weight 1 where y is finite and 0 where it is NaN.
void prefix_sums(const double *x, const double *y, const double *w, std::int64_t n, double x0, double clip,
                 double *const P[5]) {
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0;
    P[0][0] = P[1][0] = P[2][0] = P[3][0] = P[4][0] = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double xc = x[i] - x0;
        const bool fin = y[i] == y[i];
        const double wi = w ? w[i] : (fin ? 1.0 : 0.0);
        const double yy = fin ? (y[i] < clip ? y[i] : clip) : 0.0;
        const double wx = wi * xc;
        a0 += wi;
        a1 += wx;
        a2 += wx * xc;
        a3 += wi * yy;
        a4 += wx * yy;
        P[0][i + 1] = a0;
        P[1][i + 1] = a1;
        P[2][i + 1] = a2;
        P[3][i + 1] = a3;
        P[4][i + 1] = a4;
    }
}

// The weighted least-squares line through the points lo <= j < hi, at xc: its value and slope
// (slope 0 where the window has numerically one abscissa); false where the points carry no weight.
inline bool window_line(const double *const P[5], std::int64_t lo, std::int64_t hi, double xc, double &fit,
                        double &slope) {
    const double s0 = P[0][hi] - P[0][lo];
    if (!(s0 > 0.0)) return false;
    const double s1 = P[1][hi] - P[1][lo], s2 = P[2][hi] - P[2][lo];
    const double sy = P[3][hi] - P[3][lo], sxy = P[4][hi] - P[4][lo];
    const double mx = s1 / s0, my = sy / s0;
    const double var = s2 - s1 * mx, cov = sxy - s1 * my;
    double b = cov / var;
    if (!(var > 1e-12 * s2)) b = 0.0;
    fit = my + b * (xc - mx);
    slope = b;
    return true;
}

// Keep out[i] within the range of the finite y in its window [x_i - half, x_i + half]: sliding
// minimum and maximum with monotone queues of indices, stored in the float rows qlow and qhigh
// (exact below 2^53). Windows without a finite y are left alone.
void clamp_to_window_range(const double *x, const double *y, std::int64_t n, double half, double *out,
                           double *qlow, double *qhigh) {
    std::int64_t lo = 0, hi = 0, a0 = 0, a1 = 0, b0 = 0, b1 = 0;  // queues qlow[a0:a1], qhigh[b0:b1]
    for (std::int64_t i = 0; i < n; ++i) {
        const double left = x[i] - half, right = x[i] + half;
        for (; hi < n && x[hi] <= right; ++hi) {
            const double v = y[hi];
            if (v != v) continue;
            while (a1 > a0 && y[static_cast<std::int64_t>(qlow[a1 - 1])] >= v) --a1;
            qlow[a1++] = static_cast<double>(hi);
            while (b1 > b0 && y[static_cast<std::int64_t>(qhigh[b1 - 1])] <= v) --b1;
            qhigh[b1++] = static_cast<double>(hi);
        }
        while (x[lo] < left) ++lo;
        while (a1 > a0 && qlow[a0] < static_cast<double>(lo)) ++a0;
        while (b1 > b0 && qhigh[b0] < static_cast<double>(lo)) ++b0;
        if (a1 > a0) {
            const double low = y[static_cast<std::int64_t>(qlow[a0])], high = y[static_cast<std::int64_t>(qhigh[b0])];
            if (out[i] < low)
                out[i] = low;
            else if (out[i] > high)
                out[i] = high;
        }
    }
}
}  // namespace

double divergence_ceiling(const double *x, const double *y, std::int64_t n, double width, double *work) {
    const double inf = std::numeric_limits<double>::infinity();
    if (n <= 0) return inf;
    const double edge = x[0] + 0.5 * width;
    std::int64_t m = 0, first = -1;
    double lowest = inf;
    for (std::int64_t i = 0; i < n; ++i) {
        const double v = y[i];
        if (v != v) continue;
        if (first < 0) first = i;
        if (v < lowest) lowest = v;
        if (x[i] <= edge) work[m++] = v;
    }
    if (first < 0) return inf;
    const double s = m ? median_inplace(work, m) : y[first];
    return s + (s - lowest);
}

void lowess(const double *x, const double *y, std::int64_t n, double width, std::int64_t iterations,
            double *out, double *slope, double *work) {
    if (n <= 0) return;
    const std::int64_t stride = n + 1;
    double *const P[5] = {work, work + stride, work + 2 * stride, work + 3 * stride, work + 4 * stride};
    double *w = work + 6 * stride, *r = work + 7 * stride;
    const double x0 = x[0] + 0.5 * (x[n - 1] - x[0]);
    const double half = 0.5 * width;
    for (std::int64_t i = 0; i < n; ++i) w[i] = (y[i] == y[i]) ? 1.0 : 0.0;
    for (std::int64_t it = 0; it <= iterations; ++it) {
        prefix_sums(x, y, w, n, x0, std::numeric_limits<double>::infinity(), P);
        std::int64_t lo = 0, hi = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            const double left = x[i] - half, right = x[i] + half;
            while (x[lo] < left) ++lo;
            while (hi < n && x[hi] <= right) ++hi;
            if (!window_line(P, lo, hi, x[i] - x0, out[i], slope[i]) && it == 0) {
                out[i] = kNaN;
                slope[i] = kNaN;
            }  // a window left without weight by a robustness pass keeps the previous pass's value
        }
        if (it == iterations) break;
        std::int64_t m = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            const bool finite = y[i] == y[i];
            r[i] = finite ? std::fabs(y[i] - out[i]) : kNaN;
            if (finite && out[i] == out[i]) work[5 * stride + m++] = r[i];
        }
        const double med = m ? median_inplace(work + 5 * stride, m) : 0.0;
        if (!(med > 0.0)) break;
        // below the fit, a point is judged against its 5-point running median as well: only an
        // isolated dip is rejected, a valley several points wide keeps its weight
        for (std::int64_t i = 0; i < n; ++i) {
            if (y[i] == y[i] && y[i] < out[i]) {
                const double d = std::fabs(y[i] - median5(y, n, i));
                if (d < r[i]) r[i] = d;
            }
        }
        const double scale = 6.0 * med;
        for (std::int64_t i = 0; i < n; ++i) {
            const double u = r[i] / scale;
            if (y[i] == y[i] && u < 1.0) {
                const double t = 1.0 - u * u;
                w[i] = t * t;
            } else {
                w[i] = 0.0;
            }
        }
    }
    clamp_to_window_range(x, y, n, half, out, w, r);
}

double noise_sigma(const double *y, const double *fit, std::int64_t n, double ceiling, double *work) {
    std::int64_t m = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double r = std::fabs(y[i] - fit[i]);
        if (std::isfinite(r) && !(y[i] > ceiling)) work[m++] = r;
    }
    if (m == 0) return 0.0;
    return 1.4826 * median_inplace(work, m);
}

namespace {
constexpr double kAnchorScales[3] = {1.0, 1.5, 2.0};  // pyclr._reference.finder.ANCHOR_SCALES
constexpr double kLog10_4 = 0.6020599913279624;
constexpr double kFlagOnsetAboveMax = 1.0;

// Largest j with x[j] <= v (0 if none).
std::int64_t last_at_or_below(const double *x, std::int64_t n, double v) {
    const std::int64_t lo = std::upper_bound(x, x + n, v) - x;
    return lo > 0 ? lo - 1 : 0;
}
}  // namespace

std::pair<std::int64_t, std::int64_t> near_minimum(const double *f, std::int64_t n, std::int64_t i, double tau) {
    const double level = f[i] + tau;
    std::int64_t a = i, b = i;
    while (a > 0 && f[a - 1] <= level) --a;
    while (b < n - 1 && f[b + 1] <= level) ++b;
    return {a, b};
}

double valley_anchor(const double *x, const double *y, std::int64_t n, double level, double width, double sigma,
                     double *work) {
    if (n <= 0) return kNaN;
    const std::int64_t stride = n + 1;
    double *const P[5] = {work, work + stride, work + 2 * stride, work + 3 * stride, work + 4 * stride};
    double *const fit = work + 5 * stride;
    const double x0 = x[0] + 0.5 * (x[n - 1] - x[0]);
    prefix_sums(x, y, nullptr, n, x0, level, P);
    double total = 0.0;
    int count = 0;
    for (double k : kAnchorScales) {
        const double half = 0.5 * (k * width);
        std::int64_t lo = 0, hi = 0, best = -1;
        double bestv = 0.0, weight = 0.0;
        for (std::int64_t i = 0; i < n; ++i) {
            const double left = x[i] - half, right = x[i] + half;
            while (x[lo] < left) ++lo;
            while (hi < n && x[hi] <= right) ++hi;
            double v, b;
            if (!window_line(P, lo, hi, x[i] - x0, v, b)) v = kNaN;
            fit[i] = v;
            if (v == v && (best < 0 || v < bestv)) {
                best = i;
                bestv = v;
                weight = P[0][hi] - P[0][lo];
            }
        }
        if (best >= 0) {  // the middle of the stretch within the fit's noise of its minimum
            const auto [a, b] = near_minimum(fit, n, best, sigma / std::sqrt(weight));
            total += 0.5 * (x[a] + x[b]);
            ++count;
        }
    }
    return count ? total / static_cast<double>(count) : kNaN;
}

void find_bounds(const double *x, const double *s, const double *slope, std::int64_t n, double sigma,
                 double base_frac, double plateau_frac, double edge, double anchor, double *result) {
    for (int i = 0; i < kResultSize; ++i) result[i] = kNaN;
    const std::int64_t imin = argmin_nanfirst(s, n);
    const double start = s[0];
    const double drop = start - s[imin];
    result[R_MIN] = static_cast<double>(imin);
    result[R_START] = start;
    result[R_DROP] = drop;
    result[R_SIGMA] = sigma;
    std::int64_t div = n;
    for (std::int64_t j = imin + 1; j < n; ++j)
        if (s[j] > start) {
            div = j;
            break;
        }
    result[R_DIVERGE] = static_cast<double>(div);
    double depth = base_frac * drop;
    if (sigma > depth) depth = sigma;
    const double level = start - depth;
    std::int64_t onset = 0;
    for (std::int64_t j = imin; j >= 0; --j)
        if (s[j] > level) {
            onset = j + 1;
            break;
        }
    if (onset > imin) onset = imin;
    result[R_ONSET] = static_cast<double>(onset);
    const double plat_level = s[imin] + plateau_frac * drop;
    std::int64_t plateau = imin;
    for (std::int64_t j = onset; j <= imin; ++j)
        if (s[j] <= plat_level) {
            plateau = j;
            break;
        }
    result[R_PLATEAU] = static_cast<double>(plateau);
    std::int64_t steep = onset;
    for (std::int64_t j = onset; j <= imin; ++j)
        if (slope[j] < slope[steep]) steep = j;
    result[R_STEEPEST] = static_cast<double>(steep);
    result[R_MINSLOPE] = slope[steep];
    std::int64_t unstable = imin;
    for (std::int64_t j = steep; j <= imin; ++j)
        if (slope[j] > edge * sigma) {
            unstable = j;
            break;
        }
    result[R_UNSTABLE] = static_cast<double>(unstable);
    if (!(anchor == anchor)) anchor = x[imin];
    result[R_ANCHOR] = anchor;
    double xmax = anchor;
    if (!(xmax < x[imin])) xmax = x[imin];
    double xbase = xmax - kLog10_4;
    double flags = 0.0;
    if (x[onset] > xbase) {
        if (x[onset] < xmax)
            xbase = x[onset];
        else
            flags = kFlagOnsetAboveMax;
    }
    result[R_XMAX] = xmax;
    result[R_XBASE] = xbase;
    result[R_MAX] = static_cast<double>(last_at_or_below(x, n, xmax));
    result[R_BASE] = static_cast<double>(last_at_or_below(x, n, xbase));
    result[R_FLAGS] = flags;
}

void analyze_run(const double *x, const double *y, std::int64_t n, double width, std::int64_t iterations,
                 double base_frac, double plateau_frac, double edge, double *fit, double *slope,
                 double *work, double *result) {
    // losses above the divergence ceiling are clipped (NaN stays NaN); every later step sees yc
    const double ceiling = divergence_ceiling(x, y, n, width, work);
    double *yc = work + kLowessWorkRows * (n + 1);
    for (std::int64_t i = 0; i < n; ++i) yc[i] = y[i] > ceiling ? ceiling : y[i];
    lowess(x, yc, n, width, iterations, fit, slope, work);
    const double sigma = noise_sigma(y, fit, n, ceiling, work);  // clipped points are not noise
    std::int64_t first = -1;
    bool gaps = false;
    for (std::int64_t i = 0; i < n; ++i) {
        if (fit[i] == fit[i]) {
            if (first < 0) first = i;
        } else {
            gaps = true;
        }
    }
    if (first < 0) {
        for (int i = 0; i < kResultSize; ++i) result[i] = kNaN;
        result[R_MIN] = -1.0;
        return;
    }
    if (gaps) {
        for (std::int64_t i = 0; i < first; ++i) {
            fit[i] = fit[first];
            slope[i] = slope[first];
        }
        for (std::int64_t i = first + 1; i < n; ++i)
            if (!(fit[i] == fit[i])) {
                fit[i] = fit[i - 1];
                slope[i] = slope[i - 1];
            }
    }
    const double anchor = valley_anchor(x, yc, n, fit[0], width, sigma, work);
    find_bounds(x, fit, slope, n, sigma, base_frac, plateau_frac, edge, anchor, result);
}

std::int64_t bin_log(const double *lr, const double *loss, std::int64_t n, const double *edges, std::int64_t nb,
                     double *out_x, double *out_y, std::int64_t *out_count) {
    // lr is sorted: each bin's end is found by binary search, so the summing loop has no
    // data-dependent exit. Sums stay sequential in index order (the reference's np.bincount
    // order), and a non-finite loss adds +0.0, which leaves a sum unchanged: results are exact.
    std::int64_t outside = 0, i = 0;
    for (; i < n && lr[i] < edges[0]; ++i) ++outside;
    for (std::int64_t k = 0; k < nb; ++k) {
        const double right = edges[k + 1];
        const bool last = k == nb - 1;
        const double *stop = last ? std::upper_bound(lr + i, lr + n, right) : std::lower_bound(lr + i, lr + n, right);
        const std::int64_t end = stop - lr;
        std::int64_t cnt = 0;
        double sum_lr = 0.0, sum_y = 0.0;
        for (std::int64_t j = i; j < end; ++j) {
            sum_lr += lr[j];
            const double v = loss[j];
            const bool fin = std::fabs(v) <= std::numeric_limits<double>::max();
            cnt += fin;
            sum_y += fin ? v : 0.0;
        }
        const std::int64_t cnt_all = end - i;
        out_x[k] = sum_lr / static_cast<double>(cnt_all);  // NaN for an empty bin (0/0)
        out_y[k] = cnt > 0 ? sum_y / static_cast<double>(cnt) : kNaN;
        out_count[k] = cnt;
        i = end;
    }
    outside += n - i;
    return outside;
}

// The counting loops of scan_log vectorise only with 64-bit integer lanes (SSE4.2 and up), so on
// x86-64 they are also compiled for SSE4.2 and AVX2 and picked at load time. Counts are integers:
// every clone gives the same answer.
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define PYCLR_SCAN_CLONES __attribute__((target_clones("default", "sse4.2", "avx2")))
#endif
#endif
#ifndef PYCLR_SCAN_CLONES
#define PYCLR_SCAN_CLONES
#endif

namespace detail {
constexpr double kMaxFinite = std::numeric_limits<double>::max();
// Number of lr[i], i in [b, e), that are not positive finite.
PYCLR_SCAN_CLONES std::int64_t count_bad_lr(const double *lr, std::int64_t b, std::int64_t e) {
    std::int64_t c = 0;
    for (std::int64_t i = b; i < e; ++i) c += !(lr[i] > 0.0) | !(lr[i] <= kMaxFinite);
    return c;
}
// Number of i in [b, e) (b >= 1) with !(lr[i] > lr[i-1]).
PYCLR_SCAN_CLONES std::int64_t count_noninc(const double *lr, std::int64_t b, std::int64_t e) {
    std::int64_t c = 0;
    for (std::int64_t i = b; i < e; ++i) c += !(lr[i] > lr[i - 1]);
    return c;
}
// Number of non-finite loss[i], i in [b, e).
PYCLR_SCAN_CLONES std::int64_t count_nonfinite(const double *loss, std::int64_t b, std::int64_t e) {
    std::int64_t c = 0;
    for (std::int64_t i = b; i < e; ++i) c += !(std::fabs(loss[i]) <= kMaxFinite);
    return c;
}
}  // namespace detail

void scan_log(const double *lr, const double *loss, std::int64_t n, std::int64_t *stats) {
    // One pass in cache-sized blocks: per block, branch-free counts (vectorised, see detail::) of
    // bad LRs, non-increases and non-finite losses; only a block with a hit is rescanned for the
    // exact first index. Each array is read from memory once, instead of one early-exit loop per
    // statistic (which cannot vectorise).
    constexpr double kMax = std::numeric_limits<double>::max();
    constexpr std::int64_t kBlock = 4096;
    std::int64_t bad = -1, noninc = -1, dec = -1, last = -1, firstnf = -1, nonfin = 0;
    for (std::int64_t b = 0; b < n; b += kBlock) {
        const std::int64_t e = std::min(n, b + kBlock);
        if (bad < 0) {
            if (detail::count_bad_lr(lr, b, e))
                for (std::int64_t i = b; i < e; ++i)
                    if (!(lr[i] > 0.0 && lr[i] <= kMax)) {
                        bad = i;
                        break;
                    }
        }
        if (noninc < 0) {
            const std::int64_t s0 = b > 0 ? b : 1;
            if (detail::count_noninc(lr, s0, e))
                for (std::int64_t i = s0; i < e; ++i)
                    if (!(lr[i] > lr[i - 1])) {
                        noninc = i;
                        break;
                    }
        }
        const std::int64_t c = detail::count_nonfinite(loss, b, e);
        if (c && firstnf < 0)
            for (std::int64_t i = b; i < e; ++i)
                if (!(std::fabs(loss[i]) <= kMax)) {
                    firstnf = i;
                    break;
                }
        nonfin += c;
    }
    if (noninc >= 0)
        for (std::int64_t i = noninc; i < n; ++i)
            if (lr[i] < lr[i - 1]) {
                dec = i;
                break;
            }
    if (nonfin == 0) {
        last = n - 1;
    } else {
        for (std::int64_t i = n - 1; i >= 0; --i)
            if (std::fabs(loss[i]) <= kMax) {
                last = i;
                break;
            }
    }
    stats[0] = bad;
    stats[1] = noninc;
    stats[2] = nonfin;
    stats[3] = last;
    stats[4] = firstnf;
    stats[5] = dec;
}

}  // namespace finder
}  // namespace pyclr
