// Bindings of the schedule kernels. Shapes are checked here (cheap, and it keeps a misuse
// from reading out of bounds); values were validated by the Python front end.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "schedule.hpp"

namespace py = pybind11;

namespace {

template <class T>
using Array = py::array_t<T, py::array::c_style>;

void require(bool ok, const std::string &message) {
    if (!ok) throw py::value_error(message);
}

void check_table(const py::array &a, py::ssize_t cols, const char *name) {
    require(a.ndim() == 2 && a.shape(1) == cols, std::string(name) + " must have shape (rows, " + std::to_string(cols) + ")");
}

template <class T>
void fill_segments(Array<T> out, std::int64_t start, Array<std::int64_t> seg_int, Array<double> seg_flt) {
    require(out.ndim() == 1, "out must be 1-D");
    check_table(seg_int, 3, "seg_int");
    check_table(seg_flt, 9, "seg_flt");
    require(seg_int.shape(0) == seg_flt.shape(0), "seg_int and seg_flt must have the same number of rows");
    T *dst = out.mutable_data();
    const std::int64_t n = out.shape(0), nseg = seg_int.shape(0);
    const std::int64_t *si = seg_int.data();
    const double *sf = seg_flt.data();
    py::gil_scoped_release release;
    pyclr::fill_segments(dst, n, start, si, sf, nseg);
}

template <class T>
void fill_cycles(Array<T> out, std::int64_t start, std::int64_t begin, std::int64_t end, double origin,
                 double period, std::int64_t j0, Array<double> cyc, Array<std::int64_t> tpl_int,
                 Array<double> tpl_flt) {
    require(out.ndim() == 1, "out must be 1-D");
    check_table(cyc, 2, "cyc");
    check_table(tpl_flt, 7, "tpl_flt");
    require(tpl_int.ndim() == 1 && tpl_int.shape(0) == tpl_flt.shape(0), "tpl_int must have one entry per tpl_flt row");
    require(period > 0, "period must be positive");
    T *dst = out.mutable_data();
    const std::int64_t n = out.shape(0), ncyc = cyc.shape(0), np = tpl_int.shape(0);
    const double *c = cyc.data(), *tf = tpl_flt.data();
    const std::int64_t *ti = tpl_int.data();
    py::gil_scoped_release release;
    pyclr::fill_cycles(dst, n, start, begin, end, origin, period, j0, c, ncyc, ti, tf, np);
}

template <class T>
void def_kernels(py::module_ &m) {
    m.def("fill_segments", &fill_segments<T>, py::arg("out").noconvert(), py::arg("start"),
          py::arg("seg_int").noconvert(), py::arg("seg_flt").noconvert(),
          "Fill out[t - start] for the steps of each segment inside the window (GIL released).\n\n"
          "seg_int rows: (begin, end, shape); seg_flt rows: (origin, a, b, e, u, w, p, q, k);\n"
          "value = a + b*exp(e*x)*(u + w*F(p + q*x)), x = t - origin.");
    m.def("fill_cycles", &fill_cycles<T>, py::arg("out").noconvert(), py::arg("start"), py::arg("begin"),
          py::arg("end"), py::arg("origin"), py::arg("period"), py::arg("j0"), py::arg("cyc").noconvert(),
          py::arg("tpl_int").noconvert(), py::arg("tpl_flt").noconvert(),
          "Fill a repeating template of pieces: cycle j starts at origin + j*period with bounds\n"
          "cyc[j - j0] = (a_j, b_j); tpl_flt rows: (lo, e, u, w, p, q, k) (GIL released).");
}

}  // namespace

void bind_schedule(py::module_ &m) {
    m.attr("LINEAR") = static_cast<int>(pyclr::kLinear);
    m.attr("COS") = static_cast<int>(pyclr::kCos);
    m.attr("POW") = static_cast<int>(pyclr::kPow);
    def_kernels<double>(m);
    def_kernels<float>(m);
}
