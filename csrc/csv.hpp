// Delimited-text (CSV/TSV) column parser on raw bytes: no Python, no allocation, no validation.
// The readable definition (and test oracle) is parse_columns in pyclr/_reference/finder.py;
// numbers are read with std::from_chars, which rounds correctly like Python's float().
#pragma once
#include <cstdint>

namespace pyclr {
namespace csv {

// Reads fields col_a and col_b of every non-blank line of buf[0..len) (header removed) into
// out_a / out_b (at most cap rows are stored). Returns the rows parsed; status[0] = rows,
// status[1] = 1-based line of the first malformed line (0 = none), status[2] = kind
// (1 wrong field count, 2 unparsable number).
std::int64_t parse_columns(const char *buf, std::int64_t len, char delim, std::int64_t ncols, std::int64_t col_a,
                           std::int64_t col_b, double *out_a, double *out_b, std::int64_t cap, std::int64_t *status);

}  // namespace csv
}  // namespace pyclr
