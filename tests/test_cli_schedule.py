import json

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
