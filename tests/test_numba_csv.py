"""The numba CSV parser reads numbers exactly as float() does, on its compiled path.

Every backend is compared with the reference in test_finder_kernels.py / test_logs.py; here
the numba number reader (Clinger's fast path and Eisel-Lemire) is checked bit for bit against
float() on inputs that reach it, ties to even and the 128-bit table's edges included.
"""
from __future__ import annotations

import random
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

C = pytest.importorskip("pyclr._numba.csv")


def _parse(tokens, settled_only=False):
    text = "".join(f"{t},{t}\n" for t in tokens)
    buf = np.frombuffer(text.encode(), dtype=np.uint8).copy()
    n = len(tokens)
    a, b = np.empty(n), np.empty(n)
    if settled_only:  # the compiled path alone: it must settle every one of these lines
        rows, stop, _ = C._parse_settled(buf, 0, 0, 0, np.uint8(ord(",")), 2, 0, 1, a, b, C._POW5)
        assert (rows, stop) == (n, buf.shape[0])
    else:
        status = np.zeros(3, dtype=np.int64)
        assert C.parse_columns(buf, ord(","), 2, 0, 1, a, b, status) == n and status[1] == 0
    return a, b


def _bits(values):
    return np.asarray(values, dtype=np.float64).view(np.uint64)


def _expected(tokens):
    return _bits([float(t) for t in tokens])


def test_power_of_five_table_is_exact_where_it_must_be():
    t = C._POW5
    for q in range(0, 28):  # 5**q < 2**64: stored exactly, shifted to the top bit
        c = (int(t[q + 342, 0]) << 64) | int(t[q + 342, 1])
        assert c == 5 ** q << (128 - (5 ** q).bit_length())
    assert all(int(t[k, 0]) >> 63 == 1 for k in range(t.shape[0]))  # normalised


@settings(max_examples=200)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300), min_size=1,
                max_size=200))
def test_shortest_reprs(values):
    values = [v for v in values if v == 0.0 or abs(v) >= 2.3e-308]  # subnormals go to the reference
    if values:
        tokens = [repr(v) for v in values]
        a, _ = _parse(tokens, settled_only=True)
        assert np.array_equal(_bits(a), _expected(tokens))


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(1, 10 ** 19 - 1), st.integers(-300, 290)), min_size=1, max_size=200))
def test_up_to_19_digits_any_exponent(pairs):
    tokens = [f"{m}e{e}" for m, e in pairs]
    a, _ = _parse(tokens)  # a few cannot be settled by 128 bits: the reference reads those lines
    assert np.array_equal(_bits(a), _expected(tokens))


def test_ties_round_to_even_and_near_ties():
    rng = random.Random(5)
    tokens = []
    for _ in range(20000):
        k = rng.randint(53, 62)  # odd integers in [2**k, 2**(k+1)) with spacing > 1: ties and near-ties
        m = rng.randrange(2 ** k, 2 ** (k + 1))
        tokens += [str(m), str(m | 1), str(m) + "e1", str(m // 10) + "e1"]
    for _ in range(20000):  # decimal neighbours of doubles, 17 digits
        x = struct.unpack("<d", struct.pack("<q", rng.randrange(0x0010000000000000, 0x7FE0000000000000)))[0]
        s = f"{x:.16e}"
        m, e = s.split("e")
        last = int(m[-1])
        tokens += [s, f"{m[:-1]}{(last + 1) % 10}e{e}", f"{m[:-1]}{(last + 9) % 10}e{e}"]
    tokens = [t for t in tokens if len(t.split("e")[0].replace(".", "").replace("-", "").lstrip("0")) <= 19]
    a, _ = _parse(tokens)
    assert np.array_equal(_bits(a), _expected(tokens))


@pytest.mark.parametrize("token", ["-0", "0e5", "-0.0e-999", ".5", "-.5", "1.", "1.e5", "+1.5", "1E+05", "00012.500",
                                   "0.000000000000000000000000000123", "1e308", "1.7976931348623157e308",
                                   "1.7976931348623159e308", "1e400", "1e-400", "2.2250738585072014e-308",
                                   "4.9e-324", "9007199254740993", "123456789012345678901"])
def test_edge_tokens(token):
    a, _ = _parse([token])
    assert _bits(a)[0] == _expected([token])[0]
