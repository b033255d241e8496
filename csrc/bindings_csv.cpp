// pybind11 bindings of the CSV/TSV parser (csv.hpp). Buffers are taken only as C-contiguous
// arrays of the exact dtype (.noconvert()): pyclr.logs validates and allocates. The text buffer
// may be read-only (a memory-mapped file).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>

#include "csv.hpp"

namespace py = pybind11;

namespace {
using Arr = py::array_t<double, py::array::c_style>;
using IArr = py::array_t<std::int64_t, py::array::c_style>;
using BArr = py::array_t<std::uint8_t, py::array::c_style>;
using Release = py::call_guard<py::gil_scoped_release>;
}  // namespace

void bind_csv(py::module_ &m) {
    m.def("parse_columns",
          [](const BArr &buf, int delim, std::int64_t ncols, std::int64_t col_a, std::int64_t col_b, Arr &out_a, Arr &out_b,
             IArr &status, std::int64_t n_threads) {
              return pyclr::csv::parse_columns(reinterpret_cast<const char *>(buf.data()), buf.shape(0),
                                               static_cast<char>(delim), ncols, col_a, col_b, out_a.mutable_data(),
                                               out_b.mutable_data(), out_a.shape(0), status.mutable_data(), n_threads);
          },
          py::arg("buf").noconvert(), py::arg("delim"), py::arg("ncols"), py::arg("col_a"), py::arg("col_b"),
          py::arg("out_a").noconvert(), py::arg("out_b").noconvert(), py::arg("status").noconvert(),
          py::arg("n_threads") = 0, Release(),
          "Parse fields ``col_a`` / ``col_b`` of a delimited text body (std::from_chars, correctly rounded) into\n"
          "``out_a`` / ``out_b``; status = [rows, 1-based line of the first malformed line or 0, kind (1 field\n"
          "count, 2 number)]. The buffer is split at line starts and parsed on ``n_threads`` threads\n"
          "(<= 0: one per hardware thread, at most one per 256 KiB).");
}
