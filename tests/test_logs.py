"""load_log on every format, clear errors for bad files, and the `pyclr analyze` command."""
from __future__ import annotations

import argparse
import json
import os
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pyclr
from pyclr.cli import analyze as cli

SEED = os.path.join(os.path.dirname(__file__), "data", "seed_runs", "sgdm_exp_n200_s0.csv")


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_csv_runner_format(use_backend, tmp_path):
    log = pyclr.load_log(SEED)
    assert (log.lr_column, log.loss_column, len(log)) == ("lr", "loss", 200)
    p = _write(tmp_path, "r.csv", "step,lr,loss,smoothed_loss\n0,0.001,2.5,2.5\n1,0.01,2.0,2.4\n\n")
    log = pyclr.load_log(p)
    assert log.lrs.tolist() == [0.001, 0.01] and log.losses.tolist() == [2.5, 2.0] and not log.smoothed


def test_guessing_and_overrides(use_backend, tmp_path):
    p = _write(tmp_path, "t.tsv", "Learning_Rate\ttrain_loss\tother\n1e-3\t2.0\t9\n1e-2\t1.5\t9\n")
    log = pyclr.load_log(p)
    assert log.losses.tolist() == [2.0, 1.5]
    assert pyclr.load_log(p, loss="other").losses.tolist() == [9.0, 9.0]
    p = _write(tmp_path, "s.csv", "lr;loss\n1e-3;nan\n1e-2;\n")
    assert np.isnan(pyclr.load_log(p).losses).all()
    p = _write(tmp_path, "h.csv", "0.001,2.0\n0.01,1.5\n")
    assert pyclr.load_log(p).lrs.tolist() == [0.001, 0.01]


@pytest.mark.parametrize("text,match", [
    ("lr,loss\n0.1,2\n0.2\n", r"bad.csv:3: malformed row \(expected 2 fields\)"),
    ("# comment\nlr,loss\n0.1,2\n0.2,abc\n", r"bad.csv:4: malformed row \(could not read a number"),
    ("foo,bar\n1,2\n", r"Expected a lr column in .*bad.csv.*columns are \['foo', 'bar'\]"),
    ("lr,loss\n", "Expected data rows"),
    ("", "empty"),
])
def test_malformed_files(use_backend, tmp_path, text, match):
    p = _write(tmp_path, "bad.csv", text)
    with pytest.raises(ValueError, match=match):
        pyclr.load_log(p)


def test_json_npy_npz(tmp_path):
    p = _write(tmp_path, "h.json", json.dumps({"lr": [1e-3, 1e-2], "loss": [2.0, 1.0]}))
    assert pyclr.load_log(p).losses.tolist() == [2.0, 1.0]
    p = _write(tmp_path, "h.jsonl", '{"lr": 0.001, "loss": 2.0}\n{"lr": 0.01, "loss": null}\n')
    log = pyclr.load_log(p)
    assert log.lrs.tolist() == [0.001, 0.01] and np.isnan(log.losses[1])
    np.save(tmp_path / "a.npy", np.array([[1e-3, 2.0], [1e-2, 1.0]]))
    assert pyclr.load_log(str(tmp_path / "a.npy")).losses.tolist() == [2.0, 1.0]
    np.savez(tmp_path / "b.npz", learning_rate=[1e-3, 1e-2], train_loss=[2.0, 1.0])
    assert pyclr.load_log(str(tmp_path / "b.npz")).lrs.tolist() == [1e-3, 1e-2]
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="no pickled objects"):
        pyclr.load_log(str(tmp_path / "o.npy"))
    with pytest.raises(FileNotFoundError):
        pyclr.load_log(str(tmp_path / "missing.csv"))


def _broken_numpy_files(tmp_path):
    """Files NumPy cannot read, each with the exception NumPy itself raises on it."""
    np.savez_compressed(tmp_path / "good.npz", lr=np.geomspace(1e-5, 1.0, 200), loss=np.linspace(2.0, 1.0, 200))
    np.save(tmp_path / "good.npy", np.ones((20, 2)))
    npz = (tmp_path / "good.npz").read_bytes()
    npy = (tmp_path / "good.npy").read_bytes()
    flipped = bytearray(npz)
    flipped[len(npz) // 3] ^= 0xFF  # inside the compressed loss array: zlib.error or a CRC error
    files = {"empty.npy": b"", "empty.npz": b"", "truncated.npz": npz[: len(npz) // 2],
             "truncated.npy": npy[:-8], "header.npy": npy[:40], "corrupt.npz": bytes(flipped)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [str(tmp_path / name) for name in files]


def test_json_beyond_float64_or_nested_too_deep(tmp_path):
    p = _write(tmp_path, "big.json", '{"lr": [0.001, 0.01], "loss": [2.0, 1' + "0" * 400 + "]}")
    with pytest.raises(ValueError, match="float64 range in .*big.json"):
        pyclr.load_log(p)
    p = _write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nested too deeply"):
        pyclr.load_log(p)


def test_unreadable_numpy_files_name_the_file(tmp_path):
    for path in _broken_numpy_files(tmp_path):
        with pytest.raises(ValueError, match=re.escape(path)):
            pyclr.load_log(path)


def test_finder_objects():
    class TLF:  # torch-lr-finder LRFinder
        history = {"lr": [1e-3, 1e-2], "loss": [2.0, 1.0]}

    class Recorder:  # fastai
        lrs = [1e-3, 1e-2]
        losses = [np.float32(2.0), np.float32(1.0)]

    class Learner:
        recorder = Recorder()

    class LightningFinder:
        results = {"lr": [1e-3, 1e-2], "loss": [2.0, 1.0]}

    for obj in (TLF(), Learner(), LightningFinder(), TLF.history):
        log = pyclr.load_log(obj)
        assert log.lrs.tolist() == [1e-3, 1e-2] and log.smoothed
    with pytest.raises(TypeError, match="finder object"):
        pyclr.load_log(3)


def _run(argv):
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    return cli.run(parser.parse_args(["analyze", *argv]))


def test_cli_exit_codes(tmp_path, capsys):
    assert _run([SEED, "--method", "all"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "base_lr" in out and "valley" in out
    lrs = np.geomspace(1e-5, 1e-2, 100)
    p = tmp_path / "short.csv"
    p.write_text("lr,loss\n" + "".join(f"{a},{2 - 0.1 * i}\n" for i, a in enumerate(lrs)))
    assert _run([str(p), "--json"]) == cli.EXIT_INCONCLUSIVE
    assert json.loads(capsys.readouterr().out)["verdict"] == "no_turn_up"
    assert _run([str(tmp_path / "nope.csv")]) == cli.EXIT_BAD_FILE
    for path in _broken_numpy_files(tmp_path):
        assert _run([path]) == cli.EXIT_BAD_FILE
        assert path in capsys.readouterr().err
    seeds = [SEED.replace("_s0", f"_s{s}") for s in range(3)]
    assert _run([*seeds, "--combine", "--json"]) == cli.EXIT_OK
    rep = json.loads(capsys.readouterr().out)
    assert rep[0]["log"] == "combined" and rep[0]["spread"]["max_lr"] <= 1.5
    assert _run([SEED, "--resamples", "40"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "max 90%" in out and "base 90%" in out
    assert _run([SEED, "--resamples", "40", "--json"]) == cli.EXIT_OK
    lo, hi = json.loads(capsys.readouterr().out)["interval"]["max_lr"]
    assert lo < hi


# --- the CSV parser: every backend gives the reference's bits, whatever the split --------------

REF = pyclr._backend.load("numpy")


def _parse(kernels, text, ncols=2, col_a=0, col_b=1, delim=",", cap=None, **kw):
    buf = np.frombuffer(text if isinstance(text, bytes) else text.encode(), dtype=np.uint8)
    cap = text.count("\n" if isinstance(text, str) else b"\n") + 1 if cap is None else cap
    a, b = np.full(cap, -7.0), np.full(cap, -7.0)
    status = np.zeros(3, dtype=np.int64)
    rows = kernels.parse_columns(buf, ord(delim), ncols, col_a, col_b, a, b, status, **kw)
    assert rows == status[0]
    stored = min(rows, cap)
    return status.tolist(), a[:stored].view(np.uint64).tolist(), b[:stored].view(np.uint64).tolist()


def _same_as_reference(kernels, text, threads=(1, 2, 3, 7), **kw):
    want = _parse(REF, text, **kw)
    for n in threads:
        assert _parse(kernels, text, n_threads=n, **kw) == want, n
    return want


HARD_NUMBERS = [
    "0.1", "-0.0", "0", "1e-07", "1.0000018420699561e-07", "0.2616121342493164", "9007199254740993",
    "9007199254740992", "9007199254740995", "18014398509481985", "123456789012345678e-10", "1.e5", ".5", "5.",
    "00012.5000", "+1.5", "+.5", "1E+05", "4.9406564584124654e-324", "2.4e-324", "2.5e-324", "1e-400", "-1e-400",
    "1e500", "-1e500", "1.7976931348623157e308", "1.7976931348623159e308", "inf", "-Infinity", "+inf", "NaN",
    "-nan", "+nan", "0.000000000000000000000000000000123456789012345678901234567890", "1" * 40, "7e22", "7e23",
    "8.98846567431158e307", "2.2250738585072011e-308", "2.2250738585072014e-308", "0.1e-22", "123456789e-30",
]


def test_parse_hard_numbers_bitwise(kernels):
    text = "".join(f"{t},{t}\n" for t in HARD_NUMBERS)
    status, a, b = _same_as_reference(kernels, text)
    assert status == [len(HARD_NUMBERS), 0, 0] and a == b
    assert a == np.array([float(t) for t in HARD_NUMBERS]).view(np.uint64).tolist()


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=60),
       st.sampled_from(["{!r}", "{:.17g}", "{:.19g}", "{:.12e}", "{:.25f}", "{:.20E}", '"{!r}"', " {!r}\t"]),
       st.sampled_from(["\n", "\r\n"]))
def test_parse_formats_bitwise(kernels, values, fmt, eol):
    text = "".join(f"{i},{fmt.format(v)},x{eol}" for i, v in enumerate(values))
    status, a, b = _same_as_reference(kernels, text, ncols=3, col_a=1, col_b=0)
    assert status == [len(values), 0, 0]
    want = np.array([float(fmt.format(v).strip().strip('"')) for v in values])
    assert a == want.view(np.uint64).tolist()


# Pieces that exercise every branch of both parser paths: quotes, whitespace, CR, blank lines,
# signs, inf/nan forms, '_' and non-ASCII (rejected), a delimiter inside quotes (not protected).
PIECES = ["1", "2.5", "-0.25", "1e5", "1e", "+", "-", ".", "e", "_", "0", "9" * 18, "\n", "\r", "\r\n", " ", "\t", "\x0b",
          "\x1f", ",", ",", ",", '"', '""', "inf", "nan", "nan(1)", "+-", "\xa0", "\u0661", "x", "1e400", "\n\n"]


@given(st.lists(st.sampled_from(PIECES), max_size=80), st.sampled_from([",", "\t", ";", " "]),
       st.integers(1, 3))
def test_parse_fuzz_matches_reference(kernels, pieces, delim, ncols):
    text = "".join(p.replace(",", delim) for p in pieces)
    _same_as_reference(kernels, text, ncols=ncols, col_a=ncols - 1, col_b=0, delim=delim, threads=(1, 2, 5, 13))


def test_parse_whitespace_delimiter_blank_lines(kernels):
    for delim in ("\t", " "):
        text = f"1{delim}2\n{delim}\n {delim}\t\r\n{delim}3\n4{delim}\n"
        status, a, b = _same_as_reference(kernels, text, delim=delim)
        assert status == [3, 0, 0]


def test_parse_split_in_quotes_and_crlf(kernels):
    # Every byte is inside a quoted field, a delimiter, '\r' or '\n': wherever a part boundary
    # is aimed, it lands on one of them before being moved to the next line start.
    rows = [f'"{10.0 ** (-7 + 8 * k / 999)!r}", " {k / 7!r} "\r\n' for k in range(1000)]
    rows[500] = "\r\n"  # a blank line moves the rows of every later part down by one
    text = "".join(rows)
    for n in (1, 2, 3, 4, 5, 8, 13, 31, 64):
        status, a, b = _same_as_reference(kernels, text, threads=(n,))
        assert status == [999, 0, 0]
    assert np.array(b).view(np.float64)[-1] == 999 / 7


def test_parse_error_line_in_a_later_part(kernels):
    lines = [f"{k}.5,{k}" for k in range(20000)]
    lines[3] = ""
    lines[15001] = "1.5,2,3"  # wrong field count, far into the last part
    lines[17000] = "1.5,abc"
    text = "\n".join(lines) + "\n"
    for n in (1, 2, 4, 9):
        status, a, _ = _same_as_reference(kernels, text, threads=(n,))
        assert status == [15000, 15002, 1]
    lines[15001] = "1.5,2"
    status, _, _ = _same_as_reference(kernels, "\n".join(lines) + "\n", threads=(2, 4))
    assert status == [16999, 17001, 2]


def test_parse_small_cap(kernels):
    text = "\n\n" + "".join(f"{k},{k}\n" for k in range(300)) + "\n1,2\n"
    for cap in (0, 1, 10, 299, 302, 400):
        status, a, _ = _same_as_reference(kernels, text, cap=cap, threads=(1, 3, 8))
        assert status[0] == 301 and len(a) == min(cap, 301)


def test_parse_field_rules(use_backend, tmp_path):
    p = _write(tmp_path, "q.csv", '\ufefflr,loss\r\n"1e-3", " 2.5 "\r\n  \r\n1e-2,""\r\n 1e-1 ,\t\r\n')
    log = pyclr.load_log(p)
    assert log.lrs.tolist() == [1e-3, 1e-2, 1e-1] and log.losses[0] == 2.5 and np.isnan(log.losses[1:]).all()
    for bad in ("1_000", "+-1", "nan(1)", "\u0661", "1\xa0", '"1', "1e", "0x10"):
        p = _write(tmp_path, "b.csv", f"lr,loss\n0.1,2\n0.2,{bad}\n")
        with pytest.raises(ValueError, match=r"b.csv:3: malformed row \(could not read a number"):
            pyclr.load_log(p)


def test_large_file_threads_and_error_line(use_backend, tmp_path):
    n = 60000  # > 1 MiB: the cpp kernel splits it on every core
    lrs = np.geomspace(1e-7, 10, n)
    losses = np.random.default_rng(1).random(n)
    body = "".join(f"{a!r},{b!r}\r\n" for a, b in zip(lrs.tolist(), losses.tolist()))
    p = _write(tmp_path, "big.csv", "lr,loss\r\n" + body)
    log = pyclr.load_log(p)
    assert log.lrs.view(np.uint64).tolist() == lrs.view(np.uint64).tolist()
    assert log.losses.view(np.uint64).tolist() == losses.view(np.uint64).tolist()
    lines = body.split("\r\n")
    lines[n - 10] = "0.5;0.25"
    p = _write(tmp_path, "late.csv", "# comment\nlr,loss\n" + "\n".join(lines))
    with pytest.raises(ValueError, match=rf"late.csv:{n - 10 + 3}: malformed row \(expected 2 fields\): '0.5;0.25'"):
        pyclr.load_log(p)


def test_capacity_estimate_too_small_is_parsed_again(use_backend, tmp_path, monkeypatch):
    from pyclr import logs

    monkeypatch.setattr(logs, "_row_capacity", lambda sample, total: 3)
    p = _write(tmp_path, "r.csv", "lr,loss\n" + "".join(f"{k + 1}e-3,{k}\n" for k in range(50)))
    log = pyclr.load_log(p)
    assert log.lrs.tolist() == [float(f"{k + 1}e-3") for k in range(50)] and log.losses.tolist() == list(range(50))


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 25])
def test_line_chunks_hold_whole_lines(tmp_path, monkeypatch, chunk):
    from pyclr import logs

    monkeypatch.setattr(logs, "_CHUNK_BYTES", chunk)
    rng = np.random.default_rng(3)
    data = rng.integers(0, 256, 5000, dtype=np.uint8)
    data[rng.integers(0, 5000, 40)] = 10
    data[1000:1300] = 65  # a line longer than the small buffers
    for tail in (b"", b"\n", b"no newline at the end"):
        p = tmp_path / "raw.bin"
        p.write_bytes(data.tobytes() + tail)
        with open(p, "rb", buffering=0) as f:
            pieces = [(off, buf.tobytes()) for off, buf in logs._line_chunks(f, p.stat().st_size)]
        joined = b"".join(b for _, b in pieces)
        assert joined == data.tobytes() + tail
        assert [off for off, _ in pieces] == list(np.cumsum([0] + [len(b) for _, b in pieces[:-1]]))
        assert all(b.endswith(b"\n") for _, b in pieces[:-1])
    (tmp_path / "empty.csv").write_bytes(b"")
    with open(tmp_path / "empty.csv", "rb", buffering=0) as f:
        assert list(logs._line_chunks(f, 0)) == []


def test_fill_reads_in_parts(tmp_path):
    from pyclr import logs

    data = np.random.default_rng(3).integers(0, 256, (17 << 20) + 12345, dtype=np.uint8)  # > 2 parts of 8 MiB
    p = tmp_path / "raw.bin"
    data.tofile(p)
    with open(p, "rb", buffering=0) as f:
        whole = np.zeros(data.shape[0], dtype=np.uint8)
        assert logs._fill(f, memoryview(whole), 0) == data.shape[0] and np.array_equal(whole, data)
        more = np.zeros(data.shape[0], dtype=np.uint8)  # the file ends inside the second part
        assert logs._fill(f, memoryview(more), 100) == data.shape[0] - 100
        assert np.array_equal(more[: data.shape[0] - 100], data[100:])


@pytest.mark.parametrize("chunk", [16, 100, 4096])
def test_file_read_in_small_pieces(use_backend, tmp_path, monkeypatch, chunk):
    """The loader reads big files in pieces of _CHUNK_BYTES; small pieces put every boundary
    case (header after pieces of comments, rows across pieces, errors in a later piece) in
    a small file."""
    from pyclr import logs

    monkeypatch.setattr(logs, "_CHUNK_BYTES", chunk)
    rows = [f"{k + 1}e-4,{k / 7!r}" for k in range(300)]
    comments = "".join(f"# comment {k}\n" for k in range(12)) + "\n"
    p = _write(tmp_path, "c.csv", "\ufeff" + comments + "lr,loss\r\n" + "\r\n".join(rows))
    log = pyclr.load_log(p)
    assert log.lrs.tolist() == [float(f"{k + 1}e-4") for k in range(300)]
    assert log.losses.tolist() == [k / 7 for k in range(300)]
    p = _write(tmp_path, "n.csv", "\n".join(rows) + "\n")  # no header
    assert pyclr.load_log(p).lrs.shape == (300,)
    bad = list(rows)
    bad[250] = "0.1,oops"
    p = _write(tmp_path, "bad.csv", comments + "lr,loss\n" + "\n".join(bad) + "\n")
    with pytest.raises(ValueError, match=rf"bad.csv:{13 + 1 + 251}: malformed row \(could not read a number"):
        pyclr.load_log(p)
    p = _write(tmp_path, "only.csv", comments)
    with pytest.raises(ValueError, match="the file is empty"):
        pyclr.load_log(p)


# --- issue 15: what a log is, formats, and errors that name the file and line ---------------

from conftest import BACKENDS  # noqa: E402

CSV_TEXT = "lr,loss\n0.001,2.0\n0.01,1.5\n0.1,3.0\n"


def _error_on_every_backend(monkeypatch, path, exc_type=ValueError, **kw):
    """load_log(path) on each backend: the one message they all raise (asserted identical)."""
    from pyclr import _backend

    messages = set()
    for name in BACKENDS:
        monkeypatch.setattr(_backend, "_active", (name, _backend.load(name)))
        with pytest.raises(exc_type) as info:
            pyclr.load_log(path, **kw)
        messages.add(str(info.value))
    assert len(messages) == 1, messages
    return messages.pop()


def test_directory_and_fifo_say_what_they_are(tmp_path, monkeypatch):
    d = tmp_path / "logs.csv"
    d.mkdir()
    msg = _error_on_every_backend(monkeypatch, str(d), IsADirectoryError)
    assert msg == f"Expected a log file, but {str(d)!r} is a directory"
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    msg = _error_on_every_backend(monkeypatch, str(fifo))  # returns: the FIFO is not opened (it would block)
    assert msg == f"Expected a regular log file, but {str(fifo)!r} is a FIFO (named pipe): save the log to a file first"
    msg = _error_on_every_backend(monkeypatch, str(tmp_path / "missing.csv"), FileNotFoundError)
    assert "No such log file" in msg and "missing.csv" in msg


def test_json_with_a_bom_or_in_utf16(use_backend, tmp_path):
    payload = json.dumps({"lr": [1e-3, 1e-2], "loss": [2.0, 1.0]})
    for name, data in (("bom.json", b"\xef\xbb\xbf" + payload.encode()), ("u16.json", payload.encode("utf-16")),
                       ("bom.jsonl", b"\xef\xbb\xbf" + b'{"lr": 0.001, "loss": 2}\n{"lr": 0.01, "loss": 1}\n')):
        (tmp_path / name).write_bytes(data)
        log = pyclr.load_log(str(tmp_path / name))
        assert log.lrs.tolist() == [1e-3, 1e-2] and log.losses.tolist() == [2.0, 1.0], name


def test_json_starting_with_a_brace_on_its_own_line_is_json(use_backend, tmp_path):
    # Pretty-printed: lines start with '{', which the old rule took for JSON lines.
    p = _write(tmp_path, "pretty.json", json.dumps({"history": {"lr": [1e-3, 1e-2], "loss": [2.0, 1.0]}}, indent=1)
               .replace('"history": {', '"history":\n{'))
    with open(p) as f:
        assert "\n{" in f.read()
    assert pyclr.load_log(p).losses.tolist() == [2.0, 1.0]
    p = _write(tmp_path, "lines.json", '{"lr": 0.001, "loss": 2}\n\n{"lr": 0.01, "loss": 1}\n')  # .json, yet lines
    assert pyclr.load_log(p).lrs.tolist() == [1e-3, 1e-2]


@pytest.mark.parametrize("name,text,message", [
    ("bad.jsonl", '{"lr": 0.001, "loss": 2}\n\n{"lr": 0.01, "loss": 1}\n{"lr": 0.1 "loss": 1}\n',
     "bad.jsonl:4: not valid JSON lines (Expecting ',' delimiter at column 12)"),
    ("bad.json", '{"lr": 0.001, "loss": 2}\n\n{"lr": 0.01, "loss": 1}\n{"lr": 0.1 "loss": 1}\n',
     "bad.json:4: not valid JSON lines (Expecting ',' delimiter at column 12)"),
    ("two.jsonl", '{"lr": 0.001, "loss": 2}\n{"lr": 0.01, "loss": 1} {"lr": 0.1, "loss": 1}\n',
     "two.jsonl:2: not valid JSON lines (Extra data at column 25)"),
    ("lacks.jsonl", '\n{"lr": 0.001, "loss": 2}\n\n{"lr": 0.01}\n',
     "lacks.jsonl:4: record lacks 'lr' or 'loss': {\"lr\": 0.01}"),
    ("text.jsonl", '{"lr": 0.001, "loss": 2}\n\n\n{"lr": "fast", "loss": 1}\n',
     "text.jsonl:4: Expected a number for 'lr', but got \"fast\""),
    ("notrec.jsonl", '{"lr": 0.001, "loss": 2}\n[1, 2]\n',
     "notrec.jsonl:2: Expected a record (a JSON object), but got list: [1, 2]"),
    ("lacks.json", '[{"lr": 0.001, "loss": 2},\n {"loss": 1}]',
     "lacks.json (record 1, counted from 0): record lacks 'lr' or 'loss': {\"loss\": 1}"),
    ("broken.json", '{"lr": [0.001, 0.01],\n "loss": [2, x]}',  # json words a trailing comma per version
     "broken.json:2: not valid JSON (Expecting value at column 14)"),
])
def test_json_errors_name_the_file_line(tmp_path, monkeypatch, name, text, message):
    p = _write(tmp_path, name, text)
    assert _error_on_every_backend(monkeypatch, p) == f"{tmp_path}{os.sep}{message}"


def test_json_not_utf8_names_file_and_line(tmp_path, monkeypatch):
    p = tmp_path / "latin1.json"
    p.write_bytes('{"lr": [0.001, 0.01],\n "loss": [2, 1], "r\xe9sum\xe9": 1}'.encode("latin-1"))
    msg = _error_on_every_backend(monkeypatch, str(p))
    assert msg.startswith(f"{p}:2: Expected UTF-8 text (JSON), but byte 0xe9 at offset 41 cannot be decoded")


def _compressors():
    import bz2
    import gzip
    import lzma

    return {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


@pytest.mark.parametrize("codec", ["gz", "bz2", "xz"])
def test_compressed_logs_are_read_by_their_bytes(use_backend, tmp_path, codec):
    pack = _compressors()[codec]
    for name in (f"log.csv.{codec}", "misnamed.csv", f"log.tsv.{codec}"):
        text = CSV_TEXT.replace(",", "\t") if "tsv" in name else CSV_TEXT
        (tmp_path / name).write_bytes(pack(text.encode()))
        log = pyclr.load_log(str(tmp_path / name))
        assert log.lrs.tolist() == [1e-3, 1e-2, 0.1] and log.losses.tolist() == [2.0, 1.5, 3.0], name
    (tmp_path / f"log.json.{codec}").write_bytes(pack(json.dumps({"lr": [1e-3, 1e-2], "loss": [2, 1]}).encode()))
    assert pyclr.load_log(str(tmp_path / f"log.json.{codec}")).losses.tolist() == [2.0, 1.0]
    np.save(tmp_path / "a.npy", np.array([[1e-3, 2.0], [1e-2, 1.0]]))
    (tmp_path / f"a.npy.{codec}").write_bytes(pack((tmp_path / "a.npy").read_bytes()))
    assert pyclr.load_log(str(tmp_path / f"a.npy.{codec}")).lrs.tolist() == [1e-3, 1e-2]


def test_compressed_large_log_in_pieces(use_backend, tmp_path, monkeypatch):
    import gzip

    from pyclr import logs

    monkeypatch.setattr(logs, "_CHUNK_BYTES", 256)  # many pieces, rows across them, capacity regrown
    rows = [f"{k + 1}e-4,{k / 7!r}" for k in range(3000)]
    p = tmp_path / "big.csv.gz"
    p.write_bytes(gzip.compress(("# run 1\nlr,loss\n" + "\n".join(rows) + "\n").encode(), compresslevel=9))
    log = pyclr.load_log(str(p))
    assert log.lrs.tolist() == [float(f"{k + 1}e-4") for k in range(3000)]
    assert log.losses.tolist() == [k / 7 for k in range(3000)]
    rows[2500] = "0.1,oops"
    p.write_bytes(gzip.compress(("# run 1\nlr,loss\n" + "\n".join(rows) + "\n").encode()))
    msg = _error_on_every_backend(monkeypatch, str(p))
    assert msg == f"{p}:2503: malformed row (could not read a number in column 'lr' or 'loss'): '0.1,oops'"


def test_corrupt_compressed_and_binary_files(tmp_path, monkeypatch):
    import gzip

    data = gzip.compress(CSV_TEXT.encode() * 50)
    (tmp_path / "cut.csv.gz").write_bytes(data[:-20])
    msg = _error_on_every_backend(monkeypatch, str(tmp_path / "cut.csv.gz"))
    assert msg.startswith(f"Expected a complete, uncorrupted gzip file in {tmp_path / 'cut.csv.gz'}, but: ")
    (tmp_path / "cut.json.gz").write_bytes(gzip.compress(b'{"lr": [0.1], "loss": [1]}')[:-20])
    assert "uncorrupted gzip file" in _error_on_every_backend(monkeypatch, str(tmp_path / "cut.json.gz"))
    # zstd (not read): binary in the header line, not "Expected a lr column" over garbage names
    (tmp_path / "log.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd\x24\x10\x81\x00\x00lr,loss\n")
    msg = _error_on_every_backend(monkeypatch, str(tmp_path / "log.csv.zst"))
    assert msg == ("Expected a text log (CSV/TSV, plain or gzip, bzip2 or xz compressed) in "
                   f"{tmp_path / 'log.csv.zst'}, but line 1 is binary data (another compression or file format?)")


@pytest.mark.all_backends
def test_headerless_csv_of_three_columns_is_not_guessed(tmp_path, monkeypatch):
    p = _write(tmp_path, "noheader.csv", "# step, lr, loss\n\n0,0.001,2.5\n1,0.01,2.0\n2,0.1,2.8\n")
    msg = _error_on_every_backend(monkeypatch, p)
    assert msg.startswith(f"Expected a header row naming the lr and loss columns in {p}, but line 3 is "
                          "3 columns of numbers and lr=None, loss=None: add a header")
    assert "lr=1, loss=2" in msg
    assert _error_on_every_backend(monkeypatch, p, lr=1) == msg.replace("lr=None", "lr=1", 1)
    for name in BACKENDS:
        monkeypatch.setattr(pyclr._backend, "_active", (name, pyclr._backend.load(name)))
        log = pyclr.load_log(p, lr=1, loss=2)
        assert log.lrs.tolist() == [1e-3, 1e-2, 0.1] and log.losses.tolist() == [2.5, 2.0, 2.8]
        assert pyclr.load_log(p, lr="1", loss="2").lrs.tolist() == [1e-3, 1e-2, 0.1]  # as --lr 1 --loss 2 pass them
    np.save(tmp_path / "three.npy", np.array([[0, 1e-3, 2.5], [1, 1e-2, 2.0]]))
    msg = _error_on_every_backend(monkeypatch, str(tmp_path / "three.npy"))
    assert "or the column indices of both as lr= and loss=, but got shape (2, 3)" in msg
    assert pyclr.load_log(str(tmp_path / "three.npy"), lr=1, loss=2).losses.tolist() == [2.5, 2.0]


def test_complex_arrays_are_refused_not_truncated(tmp_path, monkeypatch):
    np.save(tmp_path / "c.npy", np.ones((3, 2), complex))
    msg = _error_on_every_backend(monkeypatch, str(tmp_path / "c.npy"), TypeError)
    assert msg == f"Expected real numbers for lr in {tmp_path / 'c.npy'}, but got complex128 values"
    np.savez(tmp_path / "c.npz", lr=np.ones(3), loss=np.ones(3, complex))
    assert "for loss in" in _error_on_every_backend(monkeypatch, str(tmp_path / "c.npz"), TypeError)
