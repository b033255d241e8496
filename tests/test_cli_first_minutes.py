"""Issue 16, "the first five minutes": analyze() on a table, integer step sizes from
to_schedule, the loss_min_lr rename (with its deprecated alias), and how `pyclr analyze`
prints the curve's landmarks."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import pyclr
from pyclr.cli import main

LRS = np.geomspace(1e-5, 10, 200)
_X = np.log10(LRS)
LOSSES = 1.5 - np.tanh(2 * (_X + 2.5)) + np.exp(3 * (_X - 0.3))  # a textbook range test


# ---------------------------------------------------------------- analyze() on a table (item 5)

@pytest.mark.parametrize("lr_name,loss_name", [("lr", "loss"), ("learning_rate", "raw_loss"),
                                               ("LR", "train_loss"), ("lr-Adam", "batch_loss")])
def test_analyze_accepts_a_mapping_with_recognisable_columns(lr_name, loss_name):
    ref = pyclr.analyze(LRS, LOSSES)
    a = pyclr.analyze({"step": np.arange(LRS.size), lr_name: LRS, loss_name: LOSSES})
    assert a.verdict == "ok" and (a.base_lr, a.max_lr, a.loss_min_lr) == (ref.base_lr, ref.max_lr, ref.loss_min_lr)


def test_analyze_accepts_a_dataframe_and_keeps_the_two_array_form():
    pd = pytest.importorskip("pandas")
    ref = pyclr.analyze(LRS, LOSSES)
    df = pd.DataFrame({"epoch": 0, "learning_rate": LRS, "loss": LOSSES})
    a = pyclr.analyze(df)
    assert (a.verdict, a.base_lr, a.max_lr) == (ref.verdict, ref.base_lr, ref.max_lr)
    b = pyclr.analyze(df["learning_rate"], df["loss"])  # Series, the old form
    assert (b.base_lr, b.max_lr) == (ref.base_lr, ref.max_lr)
    log = pyclr.load_log(df)  # the same recognition, reached from load_log
    assert (log.lr_column, log.loss_column, log.smoothed) == ("learning_rate", "loss", False)
    np.testing.assert_array_equal(log.losses, LOSSES)


def test_analyze_of_a_table_honours_its_options():
    a = pyclr.analyze({"lr": LRS, "loss": LOSSES}, width=0.5)
    assert a.width == 0.5


def test_analyze_table_with_unrecognised_columns_names_them():
    with pytest.raises(ValueError) as exc:
        pyclr.analyze({"step": LRS, "metric": LOSSES})
    msg = str(exc.value)
    assert "Expected a lr column in dict" in msg and "['step', 'metric']" in msg
    assert "analyze(data[lr_column], data[loss_column])" in msg and "pass lr=" not in msg
    with pytest.raises(ValueError, match=r"Expected a loss column in dict .* but the columns are \['lr', 'acc'\]"):
        pyclr.analyze({"lr": LRS, "acc": LOSSES})


def test_analyze_dataframe_with_unrecognised_columns_names_them():
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match=r"in DataFrame .* but the columns are \['x', 'y'\]"):
        pyclr.analyze(pd.DataFrame({"x": LRS, "y": LOSSES}))


def test_analyze_without_losses_and_no_table_is_a_type_error():
    with pytest.raises(TypeError, match="Expected losses, or a DataFrame or mapping .* got lrs of type ndarray"):
        pyclr.analyze(LRS)
    with pytest.raises(TypeError, match="got lrs of type str"):
        pyclr.analyze("range_test.csv")


def test_analyze_table_with_bad_values_names_the_column_and_source():
    with pytest.raises(TypeError, match="for loss in dict"):
        pyclr.analyze({"lr": LRS, "loss": ["a"] * LRS.size})
    with pytest.raises(ValueError, match="equal length in dict"):
        pyclr.analyze({"lr": LRS, "loss": LOSSES[:-1]})


def test_load_log_still_treats_a_plain_dict_as_smoothed_history():
    # torch-lr-finder's history dict: smoothed losses (unchanged behaviour)
    assert pyclr.load_log({"lr": LRS, "loss": LOSSES}).smoothed is True


# ---------------------------------------------------------------- integer step sizes (item 6)

def test_to_schedule_gives_integer_step_sizes():
    a = pyclr.analyze(LRS, LOSSES)
    s = a.to_schedule(50_000, 128, epochs_per_half_cycle=2.5)  # 391 steps per epoch * 2.5 = 977.5 -> 978
    assert type(s.step_size_up) is int and type(s.step_size_down) is int
    assert (s.step_size_up, s.step_size_down) == (978, 978)
    d = json.loads(json.dumps(s.to_dict()))
    assert d["step_size_up"] == 978 and isinstance(d["step_size_up"], int)
    assert pyclr.Schedule.from_dict(d) == s
    one = a.to_schedule(50_000, 128, policy="one_cycle", epochs=3)
    assert type(one.total_steps) is int and one.total_steps == 3 * 391
    small = a.to_schedule(10, 100, epochs_per_half_cycle=0.1)  # never under one step
    assert small.step_size_up == 1 and type(small.step_size_up) is int


def test_cyclic_keeps_int_step_sizes_and_float_ones_as_given():
    s = pyclr.cyclic(0.1, 1.0, step_size_up=np.int64(4), step_size_down=3.5)
    assert type(s.step_size_up) is int and s.step_size_down == 3.5
    np.testing.assert_array_equal(pyclr.cyclic(0.1, 1.0, 4).values(50), pyclr.cyclic(0.1, 1.0, 4.0).values(50))
    with pytest.raises(ValueError, match="Expected positive step_size_up, but got 0"):
        pyclr.cyclic(0.1, 1.0, step_size_up=0)


# ---------------------------------------------------------------- loss_min_lr (item 7)

def test_loss_min_lr_is_the_field_and_min_lr_a_deprecated_alias():
    a = pyclr.analyze(LRS, LOSSES)
    assert a.max_lr <= a.loss_min_lr
    assert LRS[np.nanargmin(a.smoothed)] == a.loss_min_lr
    with pytest.warns(DeprecationWarning, match="use Analysis.loss_min_lr"):
        assert a.min_lr == a.loss_min_lr
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = a.to_dict()  # the JSON summary uses the new name and warns about nothing
    assert d["loss_min_lr"] == a.loss_min_lr and "min_lr" not in d
    with pytest.raises(AttributeError):
        a.min_lr = 1.0  # read-only


def test_combined_runs_report_loss_min_lr():
    noise = np.random.default_rng(0).normal(0, 0.01, (3, LRS.size))
    a = pyclr.analyze(np.tile(LRS, (3, 1)), LOSSES + noise)
    assert a.verdict == "ok" and all(r.loss_min_lr is not None for r in a.runs)
    assert min(r.loss_min_lr for r in a.runs) <= a.loss_min_lr <= max(r.loss_min_lr for r in a.runs)


def _log(tmp_path, name="rt.csv", lrs=LRS, losses=LOSSES):
    p = tmp_path / name
    p.write_text("lr,loss\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(lrs.tolist(), losses.tolist())))
    return str(p)


def test_analyze_text_prints_landmarks_apart_from_the_bounds(tmp_path, capsys):
    a = pyclr.analyze(LRS, LOSSES)
    assert main(["analyze", _log(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert not any("min_lr" in line for line in lines)
    base = next(line for line in lines if line.strip().startswith("base_lr"))
    assert base.split() == ["base_lr", f"{a.base_lr:.4g}"]  # nothing beside the bound
    assert f"  lowest smoothed loss at lr={a.loss_min_lr:.4g}" in lines
    assert f"  loss diverged at lr={a.divergence_lr:.4g}" in lines


def test_analyze_json_uses_loss_min_lr(tmp_path, capsys):
    assert main(["analyze", _log(tmp_path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert "min_lr" not in rep and rep["loss_min_lr"] == pytest.approx(pyclr.analyze(LRS, LOSSES).loss_min_lr)
