// Delimited-text (CSV/TSV) column parser on raw bytes: no Python, no validation, and no
// allocation of its outputs (threads use small scratch buffers of their own).
// The readable definition (and test oracle) is parse_columns in pyclr/_reference/finder.py; the
// result is bit-identical to it: numbers are correctly rounded, like Python's float().
#pragma once
#include <cstdint>

namespace pyclr {
namespace csv {

// Reads fields col_a and col_b of every non-blank line of buf[0..len) (header removed) into
// out_a / out_b; at most cap rows are stored, the rest are only counted. Returns the rows read;
// status[0] = rows, status[1] = 1-based line of the first malformed line (0 = none), status[2]
// = its kind (1 wrong field count, 2 unparsable number); parsing stops there.
//
// Lines are cut at '\n' only (as in the reference, a quoted field does not span lines), so the
// buffer is cut at line starts into parts of about 2 MiB that n_threads threads take in turn
// (n_threads <= 0: one per hardware thread, at most one per 256 KiB); the result does not
// depend on n_threads.
std::int64_t parse_columns(const char *buf, std::int64_t len, char delim, std::int64_t ncols, std::int64_t col_a,
                           std::int64_t col_b, double *out_a, double *out_b, std::int64_t cap, std::int64_t *status,
                           std::int64_t n_threads = 0);

}  // namespace csv
}  // namespace pyclr
