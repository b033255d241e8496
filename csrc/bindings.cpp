// The extension module pyclr._core. Each concept binds itself (bindings_schedule.cpp,
// bindings_finder.cpp, bindings_csv.cpp); this file only assembles the module.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_schedule(py::module_ &m);
void bind_finder(py::module_ &m);
void bind_csv(py::module_ &m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "pyclr compiled kernels: schedule filling and range-test analysis. "
              "Kernels take validated, contiguous buffers only; pyclr's Python layer validates.";
    bind_schedule(m);
    bind_finder(m);
    bind_csv(m);
}
