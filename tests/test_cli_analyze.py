"""`pyclr analyze` exit statuses on logs that were read but cannot be analysed, strict JSON
output, and the exit-status table (issue 15, items 6 and 8)."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from pyclr.cli import build_parser, main
from pyclr.cli import _exit as X
from pyclr.cli import analyze as cli

SEED = os.path.join(os.path.dirname(__file__), "data", "seed_runs", "sgdm_exp_n200_s0.csv")


def _strict(text):
    """json.loads that refuses NaN / Infinity, as jq, JavaScript and Go do."""
    def bad(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=bad)


def _csv(tmp_path, name, lrs, losses):
    p = tmp_path / name
    rows = zip(np.asarray(lrs, float).tolist(), np.asarray(losses, float).tolist())
    p.write_text("lr,loss\n" + "".join(f"{a!r},{b!r}\n" for a, b in rows))
    return str(p)


def _unanalysable(tmp_path):
    """Logs that load fine but that analyze() may refuse: one row (a range test that hit NaN at
    step 1 and saved the finite row only), NaN losses after the first, lr = 0, lr < 0."""
    return {
        "one_row": _csv(tmp_path, "one_row.csv", [1e-5], [2.3]),
        "nan_after_first": _csv(tmp_path, "nan.csv", [1e-5, 2e-5, 4e-5], [2.3, float("nan"), float("nan")]),
        "lr_zero": _csv(tmp_path, "zero.csv", [0.0, 0.0, 0.0], [2.3, 2.2, 2.1]),
        "lr_negative": _csv(tmp_path, "neg.csv", list(-np.geomspace(1e-5, 1, 50)), list(np.linspace(2, 1, 50))),
    }


@pytest.mark.parametrize("case", ["one_row", "nan_after_first", "lr_zero", "lr_negative"])
@pytest.mark.parametrize("as_json", [False, True])
def test_unanalysable_log_is_inconclusive_or_bad_file_never_2(use_backend, tmp_path, capsys, case, as_json):
    path = _unanalysable(tmp_path)[case]
    rc = main(["analyze", path] + (["--json"] if as_json else []))
    out, err = capsys.readouterr()
    assert rc in (X.EXIT_INCONCLUSIVE, X.EXIT_BAD_INPUT), (rc, out, err)
    if rc == X.EXIT_BAD_INPUT:
        assert err.startswith(f"pyclr analyze: error: cannot analyse {path!r}: ") and "Traceback" not in err
        assert out == ""
    else:
        rep = _strict(out) if as_json else None
        assert rep is None or rep["verdict"] != "ok"


def test_lr_zero_is_a_bad_file_on_every_backend(use_backend, tmp_path, capsys):
    path = _unanalysable(tmp_path)["lr_zero"]
    assert main(["analyze", path]) == X.EXIT_BAD_INPUT
    assert "lr" in capsys.readouterr().err


def test_combined_logs_name_the_bad_one(tmp_path, capsys):
    bad = _unanalysable(tmp_path)["lr_zero"]
    assert main(["analyze", SEED, bad, "--combine"]) == X.EXIT_BAD_INPUT
    assert f"cannot analyse {bad!r}" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["--width", "-1"], "Expected positive width"),
    (["--width", "nan"], "width"),
    (["--resamples", "3"], "resamples of 0 (off) or from 20 to 10000"),
    (["--resamples", "-1"], "resamples"),
    (["--method", "bogus"], "--method"),
])
def test_bad_options_exit_2_even_with_an_unanalysable_log(tmp_path, capsys, argv, message):
    # Options are checked before the logs are read: a bad option is never blamed on the file,
    # and a bad file never exits 2.
    for path in (SEED, _unanalysable(tmp_path)["lr_zero"]):
        assert main(["analyze", path, *argv]) == X.EXIT_USAGE
        assert message in capsys.readouterr().err


def test_json_output_is_strict_json(use_backend, tmp_path, capsys):
    path = _unanalysable(tmp_path)["nan_after_first"]
    rc = main(["analyze", path, "--json", "--method", "all"])
    out = capsys.readouterr().out
    assert rc in (X.EXIT_INCONCLUSIVE, X.EXIT_BAD_INPUT)
    if rc == X.EXIT_INCONCLUSIVE:
        rep = _strict(out)
        assert "NaN" not in out and "Infinity" not in out
        assert rep["noise"] is None or math.isfinite(rep["noise"])
    # a flat log: no descent; noise and bounds are numbers or null, never NaN
    lrs = np.geomspace(1e-5, 1.0, 60)
    flat = _csv(tmp_path, "flat.csv", lrs, np.full(60, 2.0))
    seed = SEED
    assert main(["analyze", flat, seed, "--json", "--method", "all"]) in (X.EXIT_OK, X.EXIT_INCONCLUSIVE)
    reps = _strict(capsys.readouterr().out)
    assert [r["log"] for r in reps] == [flat, seed]


def test_json_safe_maps_every_non_finite_to_null():
    value = {"a": float("nan"), "b": [1.0, float("inf"), (-float("inf"), np.float64("nan"))], "c": np.float32(2.5),
             "d": "NaN", "e": None, "f": 3}
    from pyclr._json import json_safe

    assert _strict(json.dumps(json_safe(value), allow_nan=False)) == {
        "a": None, "b": [1.0, None, [None, None]], "c": 2.5, "d": "NaN", "e": None, "f": 3}


def test_exit_codes_are_named_once_and_documented(capsys):
    codes = [c for c, _ in X.CODES]
    assert codes == sorted(set(codes)) == [0, 1, 2, 3, 4, 5, 141]
    assert (cli.EXIT_OK, cli.EXIT_INCONCLUSIVE, cli.EXIT_BAD_FILE) == (X.EXIT_OK, X.EXIT_INCONCLUSIVE, X.EXIT_BAD_INPUT)
    text = build_parser().format_help()
    assert "exit status:" in text and all(f"\n  {c}  " in text for c in codes)
    with pytest.raises(SystemExit) as info:
        main(["analyze", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    # analyze writes only --plot: 4 and 5 are about that file and matplotlib; 141 is not listed
    assert all(f"\n  {c}  " in out for c in (0, 1, 2, 3, 4, 5)) and "\n  141  " not in out
    with pytest.raises(SystemExit):
        main(["schedule", "cyclic", "--help"])
    out = capsys.readouterr().out
    assert all(f"\n  {c}  " in out for c in (0, 2, 4, 5)) and "\n  3  " not in out


def test_missing_and_directory_logs_exit_3(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.csv")]) == X.EXIT_BAD_INPUT
    assert "No such log file" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path)]) == X.EXIT_BAD_INPUT
    assert "is a directory" in capsys.readouterr().err
    p = tmp_path / "three.csv"
    p.write_text("0,0.001,2\n1,0.01,1.5\n")
    assert main(["analyze", str(p)]) == X.EXIT_BAD_INPUT
    assert "add a header" in capsys.readouterr().err
    assert main(["analyze", str(p), "--lr", "1", "--loss", "2"]) in (X.EXIT_OK, X.EXIT_INCONCLUSIVE)


def test_an_option_analyze_rejects_is_never_blamed_on_the_file(tmp_path, capsys, monkeypatch):
    # A check analyze() may gain that the CLI does not know of: the clean log the CLI tries the
    # options on fails too, so the options are at fault (2), not the file (3).
    import pyclr.finder

    real = pyclr.finder.analyze

    def stricter(*args, **kw):
        if kw.get("resamples", 0) > 1000:
            raise ValueError(f"Expected resamples of at most 1000, but got {kw['resamples']}")
        return real(*args, **kw)

    monkeypatch.setattr(pyclr.finder, "analyze", stricter)
    for path in (SEED, _unanalysable(tmp_path)["lr_zero"]):
        assert main(["analyze", path, "--resamples", "5000"]) == X.EXIT_USAGE
        assert "at most 1000, but got 5000" in capsys.readouterr().err
    assert main(["analyze", _unanalysable(tmp_path)["lr_zero"], "--resamples", "20"]) == X.EXIT_BAD_INPUT


def test_a_closed_pipe_exits_quietly(tmp_path):
    """`pyclr analyze LOG --json | head -c 10`: no BrokenPipeError traceback, exit 141 like SIGPIPE."""
    import subprocess
    import sys

    import numpy as np

    lrs = np.geomspace(1e-5, 10, 200)
    x = np.log10(lrs)
    path = tmp_path / "log.csv"
    path.write_text("lr,loss\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)))))
    proc = subprocess.Popen([sys.executable, "-m", "pyclr.cli", "analyze", str(path), "--json", "--resamples", "100"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(5)
    proc.stdout.close()  # the reader goes away before the command has written everything
    err = proc.stderr.read().decode()
    code = proc.wait()
    assert "Traceback" not in err and code in (0, 141), (code, err)
