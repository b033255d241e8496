"""numba CSV column parser: the reference's ``parse_columns``, compiled for the common lines.

Lines of the usual shape (ASCII, ``ncols`` fields, the two numbers in plain decimal or
exponent notation, optionally padded with whitespace or quoted) are read by a compiled loop;
numbers are converted exactly, as ``float()`` does: Clinger's fast path when the significand
and the power of ten are both exact doubles, else the Eisel-Lemire algorithm (Lemire, "Number
Parsing at a Gigabyte per Second", 2021, sections 5-6) on a 128-bit table of powers of five.
The first line the loop cannot settle (anything else: ``inf``/``nan``, non-ASCII bytes, a wrong
field count, an unparsable number, a significand over 19 digits, the rare product that the
128-bit table cannot round) ends the compiled part, and the reference parser reads the rest of
the buffer, so every result, error line included, is the reference's.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from .._reference.finder import parse_columns as _reference_parse_columns

_jit = nb.njit(cache=True, nogil=True)

_SMALLEST_POW10 = -342
_LARGEST_POW10 = 308


def _power_of_five_table() -> np.ndarray:
    """``[q + 342] -> (high, low)``: 5**q for q in [-342, 308], normalised so its top bit is
    bit 127 of a 128-bit integer and truncated (q >= 0) or rounded up (q < 0) to it, as in
    fast_float and Rust's dec2flt."""
    rows = []
    for q in range(_SMALLEST_POW10, _LARGEST_POW10 + 1):
        if q < 0:
            p = 5 ** -q
            z = p.bit_length()  # the smallest z with 2**z >= p, except for p a power of two (p > 1 here)
            if q >= -27:
                c = 2 ** (z + 127) // p + 1
            else:
                c = 2 ** (2 * z + 128) // p + 1
                while c >= 1 << 128:
                    c //= 2
        else:
            c = 5 ** q
            while c < 1 << 127:
                c *= 2
            while c >= 1 << 128:
                c //= 2
        rows.append((c >> 64, c & ((1 << 64) - 1)))
    return np.array(rows, dtype=np.uint64)


_POW5 = _power_of_five_table()
_POW10 = np.array([10.0 ** k for k in range(23)])
_U32 = np.uint64(0xFFFFFFFF)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@_jit
def _mul128(a, b):
    """(low, high) 64-bit words of the 128-bit product of two uint64."""
    a_lo, a_hi = a & _U32, a >> np.uint64(32)
    b_lo, b_hi = b & _U32, b >> np.uint64(32)
    p0 = a_lo * b_lo
    p1 = a_lo * b_hi
    p2 = a_hi * b_lo
    p3 = a_hi * b_hi
    mid = (p0 >> np.uint64(32)) + (p1 & _U32) + (p2 & _U32)
    lo = (p0 & _U32) | (mid << np.uint64(32))
    hi = p3 + (p1 >> np.uint64(32)) + (p2 >> np.uint64(32)) + (mid >> np.uint64(32))
    return lo, hi


@_jit
def _leading_zeros(w):
    n = 0
    for shift in (32, 16, 8, 4, 2, 1):
        if w >> np.uint64(64 - shift) == np.uint64(0):
            w = w << np.uint64(shift)
            n += shift
    return n


@_jit
def _eisel_lemire(w, q, pow5):
    """Bits of the double nearest to ``w * 10**q`` (w > 0, at most 19 digits), or -1 where this
    algorithm cannot decide (then the caller asks the reference)."""
    if q < _SMALLEST_POW10:
        return np.int64(0)
    if q > _LARGEST_POW10:
        return np.int64(0x7FF) << 52
    lz = _leading_zeros(w)
    w = w << np.uint64(lz)
    hi5 = pow5[q - _SMALLEST_POW10, 0]
    lo5 = pow5[q - _SMALLEST_POW10, 1]
    mask = _ALL >> np.uint64(55)  # precision 52 + 3 bits
    first_lo, first_hi = _mul128(w, hi5)
    if first_hi & mask == mask:
        _, second_hi = _mul128(w, lo5)
        first_lo = first_lo + second_hi
        if second_hi > first_lo:
            first_hi = first_hi + np.uint64(1)
    lo, hi = first_lo, first_hi
    if lo == _ALL and not (-27 <= q <= 55):
        return np.int64(-1)
    upperbit = np.int64(hi >> np.uint64(63))
    mantissa = hi >> np.uint64(upperbit + 64 - 52 - 3)
    power2 = ((q * (152170 + 65536)) >> 16) + 63 + upperbit - lz + 1023
    if power2 <= 0:
        return np.int64(-1)  # subnormal: left to the reference
    if (lo <= np.uint64(1) and -4 <= q <= 23 and mantissa & np.uint64(3) == np.uint64(1)
            and (mantissa << np.uint64(upperbit + 64 - 52 - 3)) == hi):
        mantissa = mantissa & ~np.uint64(1)
    mantissa = mantissa + (mantissa & np.uint64(1))
    mantissa = mantissa >> np.uint64(1)
    if mantissa >= np.uint64(2) << np.uint64(52):
        mantissa = np.uint64(1) << np.uint64(52)
        power2 += 1
    mantissa = mantissa & ~(np.uint64(1) << np.uint64(52))
    if power2 >= 0x7FF:
        return np.int64(0x7FF) << 52
    return np.int64(mantissa) | (np.int64(power2) << 52)


@_jit
def _is_ws(c):
    return c == 32 or 9 <= c <= 13 or 0x1C <= c <= 0x1F


@_jit
def _scan_number(buf, p, e, pow5, bits):
    """Read a decimal number from buf[p:] (not past e): [+-]digits[.digits][(e|E)[+-]digits].
    Returns (value, end, ok): ``end`` is where the number stops; ``ok`` is False when there is
    no number there or this path cannot settle its value (the caller then asks the reference).
    Values are correctly rounded, as by ``float()``."""
    neg = False
    if p < e and (buf[p] == 45 or buf[p] == 43):  # '-' or '+'
        neg = buf[p] == 45
        p += 1
    w = np.uint64(0)
    digits = 0  # significant digits
    exp10 = 0
    any_digit = False
    while p < e and buf[p] == 48:  # leading zeros
        p += 1
        any_digit = True
    while p < e and 48 <= buf[p] <= 57:
        if digits < 19:
            w = w * np.uint64(10) + np.uint64(buf[p] - 48)
        digits += 1
        p += 1
        any_digit = True
    if p < e and buf[p] == 46:  # '.'
        p += 1
        if digits == 0:
            while p < e and buf[p] == 48:
                p += 1
                exp10 -= 1
                any_digit = True
        while p < e and 48 <= buf[p] <= 57:
            if digits < 19:
                w = w * np.uint64(10) + np.uint64(buf[p] - 48)
                exp10 -= 1
            digits += 1
            p += 1
            any_digit = True
    if not any_digit or digits > 19:
        return 0.0, p, False
    if p < e and (buf[p] == 101 or buf[p] == 69):  # 'e' or 'E'
        p += 1
        eneg = False
        if p < e and (buf[p] == 45 or buf[p] == 43):
            eneg = buf[p] == 45
            p += 1
        ex = 0
        edigits = 0
        while p < e and 48 <= buf[p] <= 57 and edigits < 5:
            ex = ex * 10 + (buf[p] - 48)
            edigits += 1
            p += 1
        if edigits == 0 or edigits == 5:
            return 0.0, p, False
        exp10 += -ex if eneg else ex
    if w == np.uint64(0):
        v = 0.0
    elif w <= np.uint64(1) << np.uint64(53) and -22 <= exp10 <= 22:
        # Clinger: both operands are exact doubles, so one IEEE operation rounds correctly
        v = np.float64(w)
        v = v / _POW10[-exp10] if exp10 < 0 else v * _POW10[exp10]
    else:
        b = _eisel_lemire(w, exp10, pow5)
        if b < 0:
            return 0.0, p, False
        bits[0] = b
        v = bits.view(np.float64)[0]
    return (-v if neg else v), p, True


@_jit
def _number(buf, p, e, pow5, bits):
    """The value of all of buf[p:e] (no surrounding whitespace), or ok False."""
    v, end, ok = _scan_number(buf, p, e, pow5, bits)
    return v, ok and end == e


@_jit
def _field(buf, p, e, pow5, bits):
    """The reference's ``_parse_field`` on buf[p:e]: strip whitespace and one pair of quotes;
    empty is NaN."""
    while p < e and _is_ws(buf[p]):
        p += 1
    while e > p and _is_ws(buf[e - 1]):
        e -= 1
    if e - p >= 2 and buf[p] == 34 and buf[e - 1] == 34:
        p += 1
        e -= 1
        while p < e and _is_ws(buf[p]):
            p += 1
        while e > p and _is_ws(buf[e - 1]):
            e -= 1
    if p == e:
        return np.nan, True
    return _number(buf, p, e, pow5, bits)


@_jit
def _parse_settled(buf, p, rows, line, delim, ncols, col_a, col_b, out_a, out_b, pow5):
    """Rows of the lines this path settles, from byte ``p`` (a line start; ``rows`` rows and
    ``line`` lines before it). Returns (rows, byte offset, lines) where it stopped: at the first
    line it cannot settle, or at len(buf)."""
    n = buf.shape[0]
    cap = out_a.shape[0]
    bits = np.zeros(1, dtype=np.int64)
    two = ncols == 2 and col_a != col_b
    while p < n:
        start = p
        if two:  # the commonest line, `number,number\n`: read straight through
            v0, q, ok = _scan_number(buf, p, n, pow5, bits)
            if ok and q < n and buf[q] == delim:
                v1, q, ok = _scan_number(buf, q + 1, n, pow5, bits)
                if ok and q < n and buf[q] == 13:
                    q += 1
                if ok and (q == n or buf[q] == 10):
                    if rows < cap:
                        out_a[rows] = v0 if col_a == 0 else v1
                        out_b[rows] = v0 if col_b == 0 else v1
                    rows += 1
                    line += 1
                    p = min(q + 1, n)
                    continue
        # any other line in one pass: its end, where fields col_a and col_b lie, blank or not
        field = 0
        fa = ea = fb = eb = -1
        f = start
        blank = True
        q = p
        while q < n:
            c = buf[q]
            if c == 10:
                break
            if c >= 128:
                return rows, start, line
            if c == delim:
                if field == col_a:
                    fa, ea = f, q
                if field == col_b:
                    fb, eb = f, q
                field += 1
                f = q + 1
            if blank and not _is_ws(c):
                blank = False
            q += 1
        nxt = q + 1 if q < n else n
        if blank:
            line += 1
            p = nxt
            continue
        stop = q
        while stop > f and buf[stop - 1] == 13:  # the reference's rstrip("\r")
            stop -= 1
        if field == col_a:
            fa, ea = f, stop
        if field == col_b:
            fb, eb = f, stop
        if field + 1 != ncols:
            return rows, start, line
        a, ok_a = _field(buf, fa, ea, pow5, bits)
        b, ok_b = _field(buf, fb, eb, pow5, bits)
        if not (ok_a and ok_b):
            return rows, start, line
        if rows < cap:
            out_a[rows] = a
            out_b[rows] = b
        rows += 1
        line += 1
        p = nxt
    return rows, n, line


@_jit
def _line_end(buf, p):
    """Start of the line after the one at ``p``."""
    n = buf.shape[0]
    while p < n and buf[p] != 10:
        p += 1
    return min(p + 1, n)


def parse_columns(buf, delim, ncols, col_a, col_b, out_a, out_b, status, n_threads=0):
    """``pyclr._reference.finder.parse_columns``: same arguments, same results (see there).
    A line the compiled loop cannot settle is read by the reference, then the loop goes on.
    ``n_threads`` is ignored."""
    n, cap = buf.shape[0], out_a.shape[0]
    rows = pos = line = 0
    status[0], status[1], status[2] = 0, 0, 0
    while True:
        rows, pos, line = _parse_settled(buf, pos, rows, line, np.uint8(delim), ncols, col_a, col_b, out_a, out_b,
                                         _POW5)
        if pos >= n:
            break
        end = _line_end(buf, pos)
        one = np.zeros(3, dtype=np.int64)
        rows += _reference_parse_columns(buf[pos:end], delim, ncols, col_a, col_b, out_a[min(rows, cap):],
                                         out_b[min(rows, cap):], one)
        if one[1]:
            status[1], status[2] = line + one[1], one[2]
            break
        line += 1
        pos = end
    status[0] = rows
    return rows
