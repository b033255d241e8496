// Delimited-text (CSV/TSV) column parser on raw bytes: no Python, no allocation, no validation.
// The readable definition (and test oracle) is parse_columns in pyclr/_reference/finder.py; the
// result is bit-identical to it: numbers are read with std::from_chars, which rounds correctly
// like Python's float().
#pragma once
#include <cstdint>

namespace pyclr {
namespace csv {

// Reads fields col_a and col_b of every non-blank line of buf[0..len) (header removed) into
// out_a / out_b; at most cap rows are stored, the rest are only counted. Returns the rows read;
// status[0] = rows, status[1] = 1-based line of the first malformed line (0 = none), status[2]
// = its kind (1 wrong field count, 2 unparsable number); parsing stops there.
//
// Lines are cut at '\n' only, so the buffer is split at line starts into n_threads parts
// (n_threads <= 0: one per hardware thread, at most one per 256 KiB) parsed in parallel.
std::int64_t parse_columns(const char *buf, std::int64_t len, char delim, std::int64_t ncols, std::int64_t col_a,
                           std::int64_t col_b, double *out_a, double *out_b, std::int64_t cap, std::int64_t *status,
                           std::int64_t n_threads = 0);

}  // namespace csv
}  // namespace pyclr
