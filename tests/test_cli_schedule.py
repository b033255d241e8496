import inspect
import json
import re

import numpy as np
import pytest

import pyclr
from pyclr.cli import main


def test_schedule_npy_matches_python_api(tmp_path, capsys):
    out = tmp_path / "lr.npy"
    rc = main(["schedule", "cyclic", "--base-lr", "1e-4", "--max-lr", "1e-2", "--step-size-up", "20",
               "--mode", "triangular2", "--steps", "1000", "--out", str(out)])
    assert rc == 0
    np.testing.assert_array_equal(np.load(out), pyclr.cyclic(1e-4, 1e-2, 20, mode="triangular2").values(1000))
    assert "cycles 25" in capsys.readouterr().out


def test_schedule_csv_and_json_with_momentum(tmp_path):
    csv, js = tmp_path / "lr.csv", tmp_path / "lr.json"
    args = ["schedule", "one_cycle", "--max-lr", "0.1", "--total-steps", "50", "--steps", "50", "--momentum"]
    assert main(args + ["--out", str(csv)]) == 0
    table = np.genfromtxt(csv, delimiter=",", names=True)
    np.testing.assert_array_equal(table["lr"], pyclr.one_cycle(0.1, 50).values(50))
    assert main(args + ["--out", str(js)]) == 0
    payload = json.loads(js.read_text())
    assert pyclr.Schedule.from_dict(payload["schedule"]) == pyclr.one_cycle(0.1, 50)
    assert len(payload["momentum"]) == 50


@pytest.mark.parametrize("argv,message", [
    (["schedule", "cyclic", "--base-lr", "1e-4", "--max-lr", "1e-2", "--step-size-up", "0"], "positive step_size_up"),
    (["schedule", "cyclic", "--base-lr", "1e-4", "--max-lr", "1e-2", "--bogus", "1"], "Unknown parameter '--bogus'"),
    (["schedule", "sgdr", "--max-lr", "0.1", "--T-0", "10", "--momentum"], "momentum channel"),
])
def test_schedule_bad_arguments_exit_2(tmp_path, capsys, argv, message):
    assert main(argv + ["--steps", "10", "--out", str(tmp_path / "x.npy")]) == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------- per-policy help (issue 16, item 4)

from pyclr.cli import schedule as S  # noqa: E402


@pytest.mark.parametrize("policy", sorted(S.POLICIES))
def test_policy_help_lists_its_parameters_with_defaults(policy, capsys):
    with pytest.raises(SystemExit) as info:
        main(["schedule", policy, "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    params = S.parameters(policy)
    assert params
    for prm in params:
        flag = "--" + prm.name.replace("_", "-")
        assert flag in out, (policy, flag)
        if prm.default is inspect.Parameter.empty:
            assert f"{flag} {prm.name.upper()} " in out and "required" in out
        else:
            shown = prm.default if isinstance(prm.default, str) else repr(prm.default)
            assert f"default: {shown}" in out, (policy, prm.name)
    assert f"pyclr.{policy}(" in out and "--steps" in out and "--plot" in out


def test_policy_help_shows_cyclic_defaults_and_wrappers_their_forwarded_parameters(capsys):
    with pytest.raises(SystemExit):
        main(["schedule", "cyclic", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--step-size-up STEP_SIZE_UP float, default: 2000" in out
    assert "--mode MODE str, default: triangular" in out
    assert "--scale-fn" not in out  # a Python callable: not a command-line parameter
    names = [p.name for p in S.parameters("warmup_cosine")]
    assert "min_lr" in names and "decay" not in names  # warmup_cosine fixes decay="cos"
    assert "decay" in [p.name for p in S.parameters("wsd")]


def test_schedule_help_lists_the_policies(capsys):
    with pytest.raises(SystemExit):
        main(["schedule", "--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in S.POLICIES) and "POLICY --help" in out


def test_every_listed_parameter_is_accepted(tmp_path, capsys):
    # the flags the help lists are the ones the command takes (a default value round-trips)
    out = tmp_path / "x.npy"
    assert main(["schedule", "cyclic", "--base-lr", "0.001", "--max-lr", "0.01", "--mode", "exp_range",
                 "--gamma", "0.999", "--wave", "sine", "--cycles", "2", "--tail-steps", "10", "--tail-lr", "none",
                 "--steps", "100", "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), pyclr.cyclic(0.001, 0.01, mode="exp_range", gamma=0.999,
                                                             wave="sine", cycles=2, tail_steps=10).values(100))
    capsys.readouterr()
    assert main(["schedule", "warmup_cosine", "--max-lr", "0.1", "--total-steps", "100", "--min-lr", "0.01",
                 "--steps", "100", "--out", str(tmp_path / "w.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "w.npy"), pyclr.warmup_cosine(0.1, 100, min_lr=0.01).values(100))


def test_missing_required_parameter_exits_2_naming_it(capsys):
    with pytest.raises(SystemExit) as info:
        main(["schedule", "cyclic", "--base-lr", "1e-4", "--steps", "10", "--out", "x.npy"])
    assert info.value.code == 2 and "required: --max-lr" in capsys.readouterr().err


def test_summary_numbers_are_rounded(tmp_path, capsys):
    assert main(["schedule", "one_cycle", "--max-lr", "0.1", "--total-steps", "1000", "--steps", "1000",
                 "--out", str(tmp_path / "o.npy")]) == 0
    out = capsys.readouterr().out
    v = pyclr.one_cycle(0.1, 1000).values(1000)
    assert repr(float(v[0])) == "0.0040000000000000036"  # what used to be printed
    assert f"first {v[0]:.4g}  last {v[-1]:.4g}  min {v.min():.4g}  max {v.max():.4g}  cycles 1" in out
    assert all(len(re.sub(r"e-?\d+$", "", tok).replace(".", "").lstrip("0")) <= 4
               for tok in re.findall(r"(?:first|last|min|max) (\S+)", out))


def test_per_group_summary_is_rounded_too(tmp_path, capsys):
    assert main(["schedule", "cyclic", "--base-lr", "0.001,0.0001", "--max-lr", "0.0123456,0.00123456",
                 "--step-size-up", "5", "--steps", "20", "--out", str(tmp_path / "g.npy")]) == 0
    out = capsys.readouterr().out
    assert "max [0.01235, 0.001235]" in out
    assert np.load(tmp_path / "g.npy").shape == (2, 20)
