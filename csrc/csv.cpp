// CSV/TSV column parser. See csv.hpp; the reference is parse_columns in pyclr/_reference/finder.py.
#include "csv.hpp"

#include <charconv>
#include <cstring>
#include <limits>
#include <system_error>

namespace pyclr {
namespace csv {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline bool parse_field(const char *p, const char *e, double *value) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) --e;
    if (e - p >= 2 && *p == '"' && e[-1] == '"') {
        ++p;
        --e;
    }
    if (p == e) {
        *value = kNaN;
        return true;
    }
    if (*p == '+') ++p;
    auto res = std::from_chars(p, e, *value);
    return res.ec == std::errc() && res.ptr == e;
}
}  // namespace

std::int64_t parse_columns(const char *buf, std::int64_t len, char delim, std::int64_t ncols, std::int64_t col_a,
                           std::int64_t col_b, double *out_a, double *out_b, std::int64_t cap, std::int64_t *status) {
    std::int64_t rows = 0, line_no = 0;
    status[0] = status[1] = status[2] = 0;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *eol = static_cast<const char *>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        if (!eol) eol = end;
        ++line_no;
        bool blank = true;
        for (const char *q = p; q < eol; ++q)
            if (!(*q == ' ' || *q == '\t' || *q == '\r')) {
                blank = false;
                break;
            }
        if (!blank) {
            double a = 0.0, b = 0.0;
            std::int64_t field = 0;
            const char *f = p;
            bool ok = true;
            for (const char *q = p;; ++q) {
                if (q == eol || *q == delim) {
                    if (field == col_a) ok = ok && parse_field(f, q, &a);
                    if (field == col_b) ok = ok && parse_field(f, q, &b);
                    ++field;
                    f = q + 1;
                    if (q == eol) break;
                }
            }
            if (field != ncols) {
                status[1] = line_no;
                status[2] = 1;
                break;
            }
            if (!ok) {
                status[1] = line_no;
                status[2] = 2;
                break;
            }
            if (rows < cap) {
                out_a[rows] = a;
                out_b[rows] = b;
            }
            ++rows;
        }
        p = eol + 1;
    }
    status[0] = rows;
    return rows;
}

}  // namespace csv
}  // namespace pyclr
