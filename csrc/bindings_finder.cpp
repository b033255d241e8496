// pybind11 bindings of the range-test kernels (finder.hpp). Arguments are taken only as
// C-contiguous arrays of the exact dtype (.noconvert()): pyclr.finder validates and allocates,
// so a wrong buffer is a programming error caught here as a TypeError, never a silent copy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "finder.hpp"

namespace py = pybind11;
namespace fk = pyclr::finder;

using Arr = py::array_t<double, py::array::c_style>;
using IArr = py::array_t<std::int64_t, py::array::c_style>;
using Release = py::call_guard<py::gil_scoped_release>;

namespace {
void analyze_runs(const Arr &x, const Arr &y, const IArr &lengths, double width, std::int64_t iterations,
                  double base_frac, double plateau_frac, double edge, Arr &fit, Arr &slope, Arr &work, Arr &result,
                  std::int64_t n_threads) {
    // work is per thread ([threads, rows * (pts + 1)]): a run's scratch stays in cache and the
    // caller allocates kilobytes, not runs * pts * rows values.
    const std::int64_t runs = x.shape(0), pts = x.shape(1), wrows = work.shape(0), wstride = work.shape(1);
    const double *px = x.data(), *py_ = y.data();
    const std::int64_t *len = lengths.data();
    double *pf = fit.mutable_data(), *ps = slope.mutable_data(), *pw = work.mutable_data(),
           *pr = result.mutable_data();
    auto one = [&](std::int64_t r, std::int64_t t) {
        fk::analyze_run(px + r * pts, py_ + r * pts, len[r], width, iterations, base_frac, plateau_frac, edge,
                        pf + r * pts, ps + r * pts, pw + t * wstride, pr + r * fk::kResultSize);
    };
    std::int64_t nt = n_threads > 0 ? n_threads : static_cast<std::int64_t>(std::thread::hardware_concurrency());
    nt = std::max<std::int64_t>(1, std::min(std::min(nt, runs), wrows));
    if (nt == 1) {
        for (std::int64_t r = 0; r < runs; ++r) one(r, 0);
        return;
    }
    // Runs are independent; interleaved assignment balances ragged lengths without a queue.
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(nt));
    for (std::int64_t t = 0; t < nt; ++t)
        pool.emplace_back([&, t] {
            for (std::int64_t r = t; r < runs; r += nt) one(r, t);
        });
    for (auto &th : pool) th.join();
}
}  // namespace

void bind_finder(py::module_ &m) {
    m.attr("ANALYZE_RESULT_SIZE") = fk::kResultSize;
    m.attr("LOWESS_WORK_ROWS") = fk::kLowessWorkRows;
    m.attr("ANALYZE_WORK_ROWS") = fk::kAnalyzeWorkRows;
    // The result layout of enum Slot, by name: tests check it against pyclr/_contract.py.
    py::dict slots;
    const char *names[] = {"base", "max", "min", "diverge", "sigma", "drop", "plateau", "unstable", "start",
                           "steepest", "minslope", "flags", "xbase", "xmax", "anchor", "onset"};
    const int values[] = {fk::R_BASE, fk::R_MAX, fk::R_MIN, fk::R_DIVERGE, fk::R_SIGMA, fk::R_DROP,
                          fk::R_PLATEAU, fk::R_UNSTABLE, fk::R_START, fk::R_STEEPEST, fk::R_MINSLOPE,
                          fk::R_FLAGS, fk::R_XBASE, fk::R_XMAX, fk::R_ANCHOR, fk::R_ONSET};
    static_assert(sizeof(values) / sizeof(values[0]) == fk::kResultSize, "every slot named");
    for (int i = 0; i < fk::kResultSize; ++i) slots[names[i]] = values[i];
    m.attr("RESULT_SLOTS") = slots;

    m.def("ema", [](const Arr &x, double alpha, Arr &out) { fk::ema(x.data(), x.shape(0), alpha, out.mutable_data()); },
          py::arg("x").noconvert(), py::arg("alpha"), py::arg("out").noconvert(), Release(),
          "Causal EMA, first value raw: ``s_0 = x_0``, ``s_k = alpha*x_k + (1-alpha)*s_{k-1}``\n"
          "(torch-lr-finder 0.2.2 / ignite 0.5.5 smoothing, no bias correction). Writes ``out``.");
    m.def("ema_debiased",
          [](const Arr &x, double beta, std::int64_t step_offset, Arr &out) {
              fk::ema_debiased(x.data(), x.shape(0), beta, step_offset, out.mutable_data());
          },
          py::arg("x").noconvert(), py::arg("beta"), py::arg("step_offset"), py::arg("out").noconvert(), Release(),
          "Bias-corrected EMA ``a_k = beta*a_{k-1} + (1-beta)*x_k``, ``s_k = a_k/(1-beta**(k+1+step_offset))``\n"
          "(fastai 2.8 with step_offset=0, Lightning with 1). Writes ``out``.");
    m.def("gradient_index", [](const Arr &y, Arr &out) { fk::gradient_index(y.data(), y.shape(0), out.mutable_data()); },
          py::arg("y").noconvert(), py::arg("out").noconvert(), Release(),
          "``np.gradient(y)`` per index (n >= 2). Writes ``out``.");
    m.def("gradient_x",
          [](const Arr &x, const Arr &y, Arr &out) { fk::gradient_x(x.data(), y.data(), y.shape(0), out.mutable_data()); },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("out").noconvert(), Release(),
          "``np.gradient(y, x)`` on a non-uniform grid (n >= 2). Writes ``out``.");
    m.def("argmin_nanfirst", [](const Arr &y) { return fk::argmin_nanfirst(y.data(), y.shape(0)); },
          py::arg("y").noconvert(), Release(), "Index of the minimum; the first NaN wins (NumPy semantics).");
    m.def("valley_index", [](const Arr &y, Arr &work) { return fk::valley_index(y.data(), y.shape(0), work.mutable_data()); },
          py::arg("y").noconvert(), py::arg("work").noconvert(), Release(),
          "fastai 2.8 ``valley`` index in O(n log n) (longest strictly decreasing subsequence).");
    m.def("slide_index",
          [](const Arr &g, double thresh, std::int64_t lr_diff) { return fk::slide_index(g.data(), g.shape(0), thresh, lr_diff); },
          py::arg("grad").noconvert(), py::arg("thresh"), py::arg("lr_diff"), Release(), "fastai 2.8 ``slide`` index.");
    m.def("steep_index", [](const Arr &lrs, const Arr &y) { return fk::steep_index(lrs.data(), y.data(), y.shape(0)); },
          py::arg("lrs").noconvert(), py::arg("y").noconvert(), Release(), "fastai 2.8 ``steep`` index.");
    m.def("ignite_index", [](const Arr &s) { return fk::ignite_index(s.data(), s.shape(0)); }, py::arg("s").noconvert(),
          Release(), "ignite 0.5.5 ``lr_suggestion`` index (-1 when the minimum is in the first two points).");
    m.def("stop_index",
          [](const Arr &s, double threshold, bool best_from_previous) {
              return fk::stop_index(s.data(), s.shape(0), threshold, best_from_previous);
          },
          py::arg("s").noconvert(), py::arg("threshold"), py::arg("best_from_previous"), Release(),
          "Points kept by a divergence stop ``s_k > threshold * best``.");
    m.def("lowess",
          [](const Arr &x, const Arr &y, double width, std::int64_t iterations, Arr &out, Arr &slope, Arr &work) {
              fk::lowess(x.data(), y.data(), x.shape(0), width, iterations, out.mutable_data(), slope.mutable_data(),
                         work.mutable_data());
          },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("width"), py::arg("iterations"),
          py::arg("out").noconvert(), py::arg("slope").noconvert(), py::arg("work").noconvert(), Release(),
          "Zero-phase robust local-linear smoother, window ``|x_j - x_i| <= width/2`` (decades of LR when\n"
          "x = log10(lr)), bisquare robustness iterations (Cleveland 1979). Writes ``out`` and ``slope``.");
    m.def("divergence_ceiling",
          [](const Arr &x, const Arr &y, double width, Arr &work) {
              return fk::divergence_ceiling(x.data(), y.data(), x.shape(0), width, work.mutable_data());
          },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("width"), py::arg("work").noconvert(), Release(),
          "``s + (s - min y)``, ``s`` the median of the finite losses within ``width / 2`` of the first lr: losses\n"
          "above it are divergence and are clipped before smoothing. ``work``: n values.");
    m.def("noise_sigma",
          [](const Arr &y, const Arr &fit, double ceiling, Arr &work) {
              return fk::noise_sigma(y.data(), fit.data(), y.shape(0), ceiling, work.mutable_data());
          },
          py::arg("y").noconvert(), py::arg("fit").noconvert(), py::arg("ceiling"), py::arg("work").noconvert(), Release(),
          "``1.4826 * median(|y - fit|)`` over finite residuals of the points with ``y <= ceiling``.");
    m.def("near_minimum",
          [](const Arr &f, std::int64_t i, double tau) {
              if (i < 0 || i >= f.shape(0)) throw py::index_error("near_minimum: i is outside f");
              const auto [a, b] = fk::near_minimum(f.data(), f.shape(0), i, tau);
              return py::make_tuple(a, b);
          },
          py::arg("f").noconvert(), py::arg("i"), py::arg("tau"),
          "``(a, b)``: the stretch around the minimum ``f[i]`` that stays within ``tau`` of it.");
    m.def("valley_anchor",
          [](const Arr &x, const Arr &y, double level, double width, double sigma, Arr &work) {
              return fk::valley_anchor(x.data(), y.data(), x.shape(0), level, width, sigma, work.mutable_data());
          },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("level"), py::arg("width"), py::arg("sigma"),
          py::arg("work").noconvert(), Release(),
          "Mean over window widths 1, 1.5 and 2 x ``width`` of the middle of the near-minimum stretch of a\n"
          "non-robust local-linear fit of ``min(y, level)`` (NaN if no window has weight). ``work``: 6 * (n + 1) values.");
    m.def("find_bounds",
          [](const Arr &x, const Arr &s, const Arr &slope, double sigma, double base_frac, double plateau_frac,
             double edge, double anchor, Arr &result) {
              fk::find_bounds(x.data(), s.data(), slope.data(), s.shape(0), sigma, base_frac, plateau_frac, edge, anchor,
                              result.mutable_data());
          },
          py::arg("x").noconvert(), py::arg("s").noconvert(), py::arg("slope").noconvert(), py::arg("sigma"),
          py::arg("base_frac"), py::arg("plateau_frac"), py::arg("edge"), py::arg("anchor"), py::arg("result").noconvert(),
          Release(),
          "Bound search on a smoothed curve; writes the ANALYZE_RESULT_SIZE result slots.");
    m.def("analyze_run",
          [](const Arr &x, const Arr &y, double width, std::int64_t iterations, double base_frac, double plateau_frac,
             double edge, Arr &fit, Arr &slope, Arr &work, Arr &result) {
              fk::analyze_run(x.data(), y.data(), x.shape(0), width, iterations, base_frac, plateau_frac, edge,
                              fit.mutable_data(), slope.mutable_data(), work.mutable_data(), result.mutable_data());
          },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("width"), py::arg("iterations"),
          py::arg("base_frac"), py::arg("plateau_frac"), py::arg("edge"), py::arg("fit").noconvert(),
          py::arg("slope").noconvert(), py::arg("work").noconvert(), py::arg("result").noconvert(), Release(),
          "lowess -> noise_sigma -> find_bounds on one range test.");
    m.def("analyze_runs", &analyze_runs, py::arg("x").noconvert(), py::arg("y").noconvert(),
          py::arg("lengths").noconvert(), py::arg("width"), py::arg("iterations"), py::arg("base_frac"),
          py::arg("plateau_frac"), py::arg("edge"), py::arg("fit").noconvert(), py::arg("slope").noconvert(),
          py::arg("work").noconvert(), py::arg("result").noconvert(), py::arg("n_threads"), Release(),
          "analyze_run on each row of ``[runs, points]`` arrays (first ``lengths[r]`` points), parallel over runs\n"
          "with std::thread and the GIL released (``n_threads <= 0``: one per hardware thread, at most\n"
          "``work.shape[0]``); ``work`` is per thread: ``[threads, ANALYZE_WORK_ROWS * (points + 1)]``.");
    m.def("bin_log",
          [](const Arr &lr, const Arr &loss, const Arr &edges, Arr &ox, Arr &oy, IArr &oc) {
              return fk::bin_log(lr.data(), loss.data(), lr.shape(0), edges.data(), edges.shape(0) - 1, ox.mutable_data(),
                                 oy.mutable_data(), oc.mutable_data());
          },
          py::arg("lr").noconvert(), py::arg("loss").noconvert(), py::arg("edges").noconvert(),
          py::arg("out_x").noconvert(), py::arg("out_y").noconvert(), py::arg("out_count").noconvert(), Release(),
          "Reduce a sorted log to LR bins (mean log-LR, mean finite loss, count). Returns points outside the edges.");
    m.def("scan_log",
          [](const Arr &lr, const Arr &loss, IArr &stats) {
              fk::scan_log(lr.data(), loss.data(), lr.shape(0), stats.mutable_data());
          },
          py::arg("lr").noconvert(), py::arg("loss").noconvert(), py::arg("stats").noconvert(), Release(),
          "One pass over a raw log: stats = [first bad lr, first non-increase, #non-finite losses,\n"
          "last finite loss, first non-finite loss, first decrease] (-1 where none).");
}
