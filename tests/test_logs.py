"""load_log on every format, clear errors for bad files, and the `pyclr analyze` command."""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pytest

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
    seeds = [SEED.replace("_s0", f"_s{s}") for s in range(3)]
    assert _run([*seeds, "--combine", "--json"]) == cli.EXIT_OK
    rep = json.loads(capsys.readouterr().out)
    assert rep[0]["log"] == "combined" and rep[0]["spread"]["max_lr"] <= 1.5
