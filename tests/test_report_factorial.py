"""The Factorial chapter's effects, verdict tables and figures, computed without building the book."""

import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from bnorder import findings, report
from bnorder.analysis.contrasts import FACTORIAL_CELLS  # noqa: E402
from bnorder.orders import AFTER  # noqa: E402
from bnorder.report import factorial as fx  # noqa: E402
from bnorder.report.style import fmt  # noqa: E402


def write_records(root, profile="factorial", arch="mlp", seeds=range(4), position=-1.0,
                  best_val_position=None):
    """Completed records of one network's five blocks: BatchNorm after the activation is
    ``position`` points ahead at the last epoch (``best_val_position`` at the best-validation
    epoch, default the same), with a seed-dependent wobble so that intervals have a width."""
    from bnorder.runs.config import make_config

    best = position if best_val_position is None else best_val_position
    for s in seeds:
        for b in (*FACTORIAL_CELLS, "relu"):
            after = b in AFTER.values()
            wobble = 0.2 * ((-1) ** s)
            final = 80 + s + ((position + wobble) if after else 0)
            at_best = 80 + s + ((best + wobble) if after else 0)
            cfg = make_config(dataset="synthetic", arch=arch, block=b, seed=s, profile=profile)
            path = root / profile / "synthetic" / arch / b / f"seed{s}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({
                "status": "ok", "config": cfg.as_dict(),
                "epochs": [{"epoch": 1, "test_acc": final, "val_acc": final, "train_loss": 1.0}],
                "summary": {"final_test_acc": final, "best_val_epoch_test_acc": at_best,
                            "max_test_acc": max(final, at_best)}}))


def test_each_networks_verdict_table_shows_its_contrasts_and_the_best_validation_position(tmp_path):
    write_records(tmp_path, seeds=range(5), position=-1.0, best_val_position=0.0)
    found = findings.factorial_findings(tmp_path)
    table = report.verdict_table(fx.verdict_rows("mlp"), found)
    assert list(table.index) == ["position", "activation", "interaction", "case 3 − case 1",
                                 "position (best-validation epoch)"]
    assert (table["seeds"] == 5).all()
    # the table reads the same effect the chapter's figure draws, per seed
    effect = fx.effects(fx.factorial_runs(tmp_path, "factorial")[0]).set_index("label")
    assert table.loc["position", "difference"] == fmt(effect.loc["position", "mean"], sign=True)
    assert table.loc["position", "state"] == "negative"
    # the rule for the reported epoch can change the verdict; the table shows both
    assert table.loc["position (best-validation epoch)", "state"] != "negative"


def test_a_network_without_runs_shows_not_run_yet_in_every_row(tmp_path):
    write_records(tmp_path)
    table = report.verdict_table(fx.verdict_rows("cnn"), findings.factorial_findings(tmp_path))
    assert (table["state"] == "not run yet").all()


def test_effects_give_each_contrasts_mean_and_state_per_network(tmp_path):
    write_records(tmp_path, seeds=range(5), position=-1.0)
    eff = fx.effects(fx.factorial_runs(tmp_path, "factorial")[0]).set_index("label")
    assert set(eff.index) == set(fx.CONTRAST_LABELS.values())
    assert eff.loc["position", "mean"] == pytest.approx(np.mean([-1.0 + 0.2 * (-1) ** s for s in range(5)]))
    assert eff.loc["position", "state"] == "resolved"


def test_the_forest_figure_has_a_panel_per_network(tmp_path):
    write_records(tmp_path, arch="mlp")
    write_records(tmp_path, arch="cnn")
    fig = fx.forest_figure(fx.effects(fx.factorial_runs(tmp_path, "factorial")[0]))
    assert [ax.get_title() for ax in fig.axes] == ["mlp", "cnn"]
