// CSV/TSV column parser. See csv.hpp; the reference is parse_columns in pyclr/_reference/finder.py.
//
// Why it is fast: the buffer is read once per thread, each line by one forward scan (no memchr
// for the line end, no per-field copy), and numbers by std::from_chars (fast_float in
// libstdc++ >= 12: correctly rounded, no locale, no strtod). Any line that is not the plain
// shape `ws number ws , ws number ws \n` (blank lines, quotes it cannot follow, errors, inf/nan,
// out-of-range exponents) is re-read by the slow path, which is a line-by-line transcription of
// the reference, so both paths give the reference's bits.
#include "csv.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <limits>
#include <system_error>
#include <thread>
#include <vector>

namespace pyclr {
namespace csv {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kMinBytesPerThread = 256 * 1024;
constexpr std::int64_t kPartBytes = 2 * 1024 * 1024;

// Byte classes for the fast path. kWs is the reference's whitespace: ASCII characters for
// which Python's str.isspace() is true ("\t\n\v\f\r", 0x1c-0x1f, space), except '\n' and delim.
enum : unsigned char { kOther = 0, kWs = 1, kDelim = 2, kNewline = 3 };

inline bool is_ws(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

struct Table {
    unsigned char cls[256];
    explicit Table(char delim) {
        for (int c = 0; c < 256; ++c) cls[c] = is_ws(static_cast<unsigned char>(c)) ? kWs : kOther;
        cls[static_cast<unsigned char>(delim)] = kDelim;
        cls[static_cast<unsigned char>('\n')] = kNewline;
    }
    unsigned char operator[](char c) const { return cls[static_cast<unsigned char>(c)]; }
};

// from_chars reports an out-of-range decimal (|x| >= 2^1024 or rounding to zero) without a
// value; Python's float() gives +-inf or +-0.0. Which one follows from the decimal exponent of
// the first significant digit (in range values have it within about +-324).
double out_of_range_value(const char *p, const char *e) {
    bool neg = *p == '-';
    if (neg) ++p;
    std::int64_t lead = 0;  // decimal exponent of the first non-zero digit, before the 'e' part
    bool seen = false, frac = false;
    std::int64_t int_digits = 0, zeros_after_point = 0;
    for (; p < e && (is_digit(static_cast<unsigned char>(*p)) || *p == '.'); ++p) {
        if (*p == '.') {
            frac = true;
            continue;
        }
        if (!seen && *p == '0') {
            if (frac) ++zeros_after_point;
            continue;
        }
        if (!seen) seen = true;
        if (!frac) ++int_digits;
    }
    lead = int_digits > 0 ? int_digits - 1 : -(zeros_after_point + 1);
    std::int64_t ex = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        ++p;
        bool eneg = false;
        if (p < e && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        for (; p < e; ++p) ex = std::min<std::int64_t>(ex * 10 + (*p - '0'), std::int64_t(1) << 40);
        if (eneg) ex = -ex;
    }
    double mag = lead + ex > 0 ? kInf : 0.0;
    return neg ? -mag : mag;
}

// Python's float() of a non-empty token with no surrounding whitespace, restricted to ASCII
// without '_' (see the reference): std::from_chars plus a leading '+', and without from_chars'
// "nan(chars)" extension.
bool parse_token(const char *p, const char *e, double *value) {
    if (*p == '+') {
        ++p;
        if (p == e || *p == '-' || *p == '+') return false;
    }
    if (e[-1] == ')') return false;
    auto res = std::from_chars(p, e, *value);
    if (res.ptr != e) return false;
    if (res.ec == std::errc()) return true;
    if (res.ec == std::errc::result_out_of_range) {
        *value = out_of_range_value(p, e);
        return true;
    }
    return false;
}

// The reference's _parse_field on the bytes of one field.
bool parse_field(const char *p, const char *e, double *value) {
    while (p < e && is_ws(static_cast<unsigned char>(*p))) ++p;
    while (e > p && is_ws(static_cast<unsigned char>(e[-1]))) --e;
    if (e - p >= 2 && *p == '"' && e[-1] == '"') {
        ++p;
        --e;
        while (p < e && is_ws(static_cast<unsigned char>(*p))) ++p;
        while (e > p && is_ws(static_cast<unsigned char>(e[-1]))) --e;
    }
    if (p == e) {
        *value = kNaN;
        return true;
    }
    return parse_token(p, e, value);
}

// Eight ASCII digits at p (p + 8 <= end) as one number, or -1 if any byte is not a digit
// (Lemire's SWAR parse, as in fast_float).
inline std::int64_t eight_digits(const char *p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    if (((v & 0xF0F0F0F0F0F0F0F0ull) | (((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) !=
        0x3333333333333333ull)
        return -1;
    v -= 0x3030303030303030ull;  // little-endian: p[0] is the low byte
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
         (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
    return static_cast<std::int64_t>(v);
}

// Digits from p: appends them to m, counts them; returns the first non-digit.
inline const char *read_digits(const char *p, const char *end, std::uint64_t &m, int &digits) {
    while (end - p >= 8) {
        std::int64_t eight = eight_digits(p);
        if (eight < 0) break;
        m = m * 100000000u + static_cast<std::uint64_t>(eight);  // wraps past 19 digits: rejected below
        digits += 8;
        p += 8;
    }
    for (; p < end && is_digit(static_cast<unsigned char>(*p)); ++p, ++digits) m = m * 10 + static_cast<unsigned>(*p - '0');
    return p;
}

// Clinger's fast path in x87 extended precision (64-bit significand), for the 17-19 digit
// significands of shortest float64 reprs: m < 2^64 and 10^|k| (k in [-27, 27], 5^27 < 2^64)
// are exact, so r = m * 10^k or m / 10^-k is the exact result x rounded once to 64 bits.
// Rounding r to 53 bits gives the double nearest to x unless r is exactly the midpoint M of
// two doubles (rounding is monotonic and M has 54 bits, so r != M puts r on x's side of M);
// that case (bits 10..0 of r's significand == 0x400) returns false for std::from_chars.
// With the x87 precision set to 53 bits (some Windows runtimes) r is x rounded once to 53
// bits, also correct. The result lies in [1e-27, 2e46]: always normal.
#if defined(__x86_64__) || defined(__i386__)
constexpr bool kX87 = std::numeric_limits<long double>::digits == 64;
#else
constexpr bool kX87 = false;  // no 64-bit long double (aarch64: 113-bit software quad): from_chars
#endif

inline bool extended_fast_path(std::uint64_t m, int exp10, double *value) {
    if constexpr (!kX87) {
        return false;
    } else {
        static constexpr long double kPow10L[28] = {
            1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
            1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
        if (m == 0 || exp10 < -27 || exp10 > 27) return false;
        long double r = static_cast<long double>(m);
        r = exp10 < 0 ? r / kPow10L[-exp10] : r * kPow10L[exp10];
        std::uint64_t sig;
        std::memcpy(&sig, &r, sizeof sig);  // the explicit 64-bit significand comes first
        if ((sig & 0x7FF) == 0x400) return false;
        *value = static_cast<double>(r);
        return true;
    }
}

// Clinger's fast path: a decimal with at most 19 digits whose integer significand m is at most
// 2^53 and whose decimal exponent k is within [-22, 22] is m * 10^k or m / 10^-k, one IEEE
// operation on two exact doubles, hence correctly rounded (Clinger 1990). That covers the
// shortest repr of most float64 values in [1e-6, 1e6]; anything else returns nullptr and goes to
// std::from_chars. On success returns the end of the number, exactly where from_chars stops.
const char *parse_simple(const char *p, const char *end, double *value) {
    static constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                          1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    bool neg = p < end && *p == '-';
    if (neg) ++p;
    std::uint64_t m = 0;
    int digits = 0, exp10 = 0;  // significant digits (leading zeros are not) read into m
    const char *first = p;
    while (p < end && *p == '0') ++p;
    p = read_digits(p, end, m, digits);
    bool any = p != first;
    if (p < end && *p == '.') {
        const char *frac = ++p;
        if (m == 0)
            while (p < end && *p == '0') ++p;
        if (p - frac > 400) return nullptr;
        exp10 = -static_cast<int>(p - frac);
        int before = digits;
        p = read_digits(p, end, m, digits);
        exp10 -= digits - before;
        any = any || p != frac;
    }
    if (!any || digits > 19) return nullptr;
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        bool eneg = false;
        if (q < end && (*q == '+' || *q == '-')) eneg = *q++ == '-';
        int e = 0, edigits = 0;
        for (; q < end && is_digit(static_cast<unsigned char>(*q)) && edigits < 4; ++q, ++edigits) e = e * 10 + (*q - '0');
        if (edigits == 0 || edigits == 4) return nullptr;
        exp10 += eneg ? -e : e;
        p = q;
    }
    double v;
    if (m <= (std::uint64_t(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        v = static_cast<double>(m);
        v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
    } else if (!extended_fast_path(m, exp10, &v)) {
        return nullptr;
    }
    *value = neg ? -v : v;
    return p;
}

enum LineResult { kRow = 0, kFieldCount = 1, kBadNumber = 2, kBlank = 3, kFallback = 4 };

struct Spec {
    char delim;
    std::int64_t ncols, col_a, col_b;
    bool fast;
    Table table;
};

// One line as the reference reads it; *next gets the start of the following line.
LineResult slow_line(const char *p, const char *end, const Spec &s, double *a, double *b, const char **next) {
    const char *eol = static_cast<const char *>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    *next = eol ? eol + 1 : end;
    if (!eol) eol = end;
    while (eol > p && eol[-1] == '\r') --eol;  // the reference's line.rstrip("\r")
    bool blank = true;
    for (const char *q = p; q < eol; ++q)
        if (!is_ws(static_cast<unsigned char>(*q))) {
            blank = false;
            break;
        }
    if (blank) return kBlank;
    std::int64_t field = 0;
    const char *fa = nullptr, *ea = nullptr, *fb = nullptr, *eb = nullptr, *f = p;
    for (const char *q = p;; ++q) {
        if (q == eol || *q == s.delim) {
            if (field == s.col_a) fa = f, ea = q;
            if (field == s.col_b) fb = f, eb = q;
            ++field;
            f = q + 1;
            if (q == eol) break;
        }
    }
    if (field != s.ncols) return kFieldCount;
    if (!parse_field(fa, ea, a) || !parse_field(fb, eb, b)) return kBadNumber;
    return kRow;
}

// The common shape in one forward scan; kFallback on anything else (nothing is decided there).
inline LineResult fast_line(const char *p, const char *end, const Spec &s, double *a, double *b, const char **next) {
    const Table &t = s.table;
    for (std::int64_t field = 0;; ++field) {
        if (field == s.col_a || field == s.col_b) {
            while (p < end && t[*p] == kWs) ++p;
            bool quoted = p < end && *p == '"';
            if (quoted) {
                ++p;
                while (p < end && t[*p] == kWs) ++p;
            }
            double v;
            if (p == end || t[*p] >= kDelim || *p == '"') {
                v = kNaN;
            } else {
                const char *num = *p == '+' ? p + 1 : p;
                const char *d = num < end && *num == '-' && num == p ? num + 1 : num;
                if (d >= end || !(is_digit(static_cast<unsigned char>(*d)) || *d == '.')) return kFallback;
                const char *stop = parse_simple(num, end, &v);
                if (!stop) {
                    auto res = std::from_chars(num, end, v);
                    if (res.ec != std::errc()) return kFallback;
                    stop = res.ptr;
                }
                p = stop;
                while (p < end && t[*p] == kWs) ++p;
            }
            if (quoted) {
                if (p == end || *p != '"') return kFallback;
                ++p;
                while (p < end && t[*p] == kWs) ++p;
            }
            if (field == s.col_a) *a = v;
            if (field == s.col_b) *b = v;
        } else {
            while (p < end && t[*p] < kDelim) ++p;
        }
        if (field == s.ncols - 1) break;
        if (p == end || *p != s.delim) return kFallback;
        ++p;
    }
    if (p == end) {
        *next = end;
        return kRow;
    }
    if (*p != '\n') return kFallback;
    *next = p + 1;
    return kRow;
}

struct Part {
    std::int64_t rows = 0, err_line = 0, err_kind = 0;
};

// Lines of [p, end); row i is stored at out[i] when i < cap.
Part parse_range(const char *p, const char *end, const Spec &s, double *out_a, double *out_b, std::int64_t cap) {
    Part r;
    std::int64_t line = 0;
    while (p < end) {
        ++line;
        double a = 0.0, b = 0.0;
        const char *next = end;
        LineResult k = s.fast ? fast_line(p, end, s, &a, &b, &next) : kFallback;
        if (k == kFallback) k = slow_line(p, end, s, &a, &b, &next);
        p = next;
        if (k == kBlank) continue;
        if (k != kRow) {
            r.err_line = line;
            r.err_kind = k;
            break;
        }
        if (r.rows < cap) {
            out_a[r.rows] = a;
            out_b[r.rows] = b;
        }
        ++r.rows;
    }
    return r;
}

// Number of '\n' in [p, e). std::count does not vectorise here (a 64-bit sum of byte compares);
// per-lane byte counters flushed every 255 blocks do, at memory speed.
std::int64_t count_newlines(const char *p, const char *e) {
    constexpr int kLanes = 32, kRounds = 255;
    std::int64_t n = 0;
    while (e - p >= kLanes * kRounds) {
        unsigned char acc[kLanes] = {};
        for (int j = 0; j < kRounds; ++j)
            for (int i = 0; i < kLanes; ++i) acc[i] += p[j * kLanes + i] == '\n';
        for (int i = 0; i < kLanes; ++i) n += acc[i];
        p += kLanes * kRounds;
    }
    for (; p < e; ++p) n += *p == '\n';
    return n;
}

// Runs work(0..tasks) on n threads (the calling one included) that take the next task from a
// shared counter: on a machine shared with other processes a thread that gets less CPU simply
// takes fewer tasks. If a thread cannot be started the others do its share (never an exception
// out of a kernel).
template <class F>
void run_tasks(std::int64_t n, std::int64_t tasks, F work) {
    std::atomic<std::int64_t> next{0};
    auto loop = [&] {
        for (std::int64_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < tasks;) work(k);
    };
    std::vector<std::thread> pool;
    try {
        pool.reserve(static_cast<size_t>(n - 1));
        for (std::int64_t t = 1; t < n; ++t) pool.emplace_back(loop);
    } catch (...) {
    }
    loop();
    for (auto &th : pool) th.join();
}
}  // namespace

std::int64_t parse_columns(const char *buf, std::int64_t len, char delim, std::int64_t ncols, std::int64_t col_a,
                           std::int64_t col_b, double *out_a, double *out_b, std::int64_t cap, std::int64_t *status,
                           std::int64_t n_threads) {
    // The fast path needs a delimiter that cannot occur in a number, and ncols >= 2 so that a
    // line it accepts holds a delimiter (is not blank).
    const bool safe = delim == ',' || delim == ';' || delim == '\t' || delim == '|' || delim == ' ' || delim == ':';
    const Spec s{delim, ncols, col_a, col_b, safe && ncols >= 2, Table(delim)};
    const char *end = buf + len;
    std::int64_t nt = n_threads;
    if (nt <= 0) nt = std::min<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()), len / kMinBytesPerThread);
    nt = std::max<std::int64_t>(1, std::min<std::int64_t>({nt, len, 256}));

    Part whole;
    bool serial = nt == 1;
    if (!serial) {
        // Parts start at line starts: a line (quoted fields included) never spans a '\n', as in
        // the reference. Part k stores its rows from index off[k] = lines before it (>= rows
        // before it); the rows are then moved down over the gaps left by blank lines. Parts are
        // many more than threads, so that a thread slowed down by other load does not hold up
        // the rest.
        const std::int64_t parts = std::min(len, std::max(4 * nt, len / kPartBytes));
        std::vector<const char *> cut(static_cast<size_t>(parts + 1));
        std::vector<std::int64_t> off(static_cast<size_t>(parts + 1), 0);
        std::vector<Part> part(static_cast<size_t>(parts));
        cut[0] = buf;
        cut[parts] = end;
        for (std::int64_t k = 1; k < parts; ++k) {
            const char *target = std::max(cut[k - 1], buf + len / parts * k);
            const char *nl = static_cast<const char *>(std::memchr(target, '\n', static_cast<size_t>(end - target)));
            cut[k] = nl ? nl + 1 : end;
        }
        run_tasks(nt, parts - 1, [&](std::int64_t k) { off[k + 1] = count_newlines(cut[k], cut[k + 1]); });
        for (std::int64_t k = 1; k <= parts; ++k) off[k] += off[k - 1];
        run_tasks(nt, parts, [&](std::int64_t k) {
            std::int64_t room = std::max<std::int64_t>(0, cap - off[k]);
            part[k] = parse_range(cut[k], cut[k + 1], s, out_a + std::min(off[k], cap), out_b + std::min(off[k], cap),
                                  room);
        });
        for (std::int64_t k = 0; k < parts; ++k) {
            const Part &r = part[k];
            std::int64_t stored = std::min(r.rows, std::max<std::int64_t>(0, cap - off[k]));
            if (stored < r.rows && whole.rows + stored < cap) {
                serial = true;  // cap < lines: rows that fit after compaction were not stored
                break;
            }
            if (whole.rows != off[k] && stored > 0) {
                std::memmove(out_a + whole.rows, out_a + off[k], static_cast<size_t>(stored) * sizeof(double));
                std::memmove(out_b + whole.rows, out_b + off[k], static_cast<size_t>(stored) * sizeof(double));
            }
            whole.rows += r.rows;
            if (r.err_line) {
                whole.err_line = off[k] + r.err_line;
                whole.err_kind = r.err_kind;
                break;
            }
        }
    }
    if (serial) whole = parse_range(buf, end, s, out_a, out_b, cap);
    status[0] = whole.rows;
    status[1] = whole.err_line;
    status[2] = whole.err_kind;
    return whole.rows;
}

}  // namespace csv
}  // namespace pyclr
