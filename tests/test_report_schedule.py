"""A worse optimum or volatility: the converged CNN's order effect at a constant learning rate and
with the cosine schedule, compared on the seeds both schedules share."""

import pandas as pd
import pytest

from bnorder.report import schedule


def run(block, seed, final, wobble, precise_gain=1.0):
    """A CNN run whose test accuracy alternates by ``wobble`` over 4 epochs and ends at ``final``;
    precise statistics read ``precise_gain`` points higher and do not wobble."""
    accs = [final - wobble, final, final - wobble, final]
    history = [{"epoch": e + 1, "test_acc": a, "bn_eval": {"test_acc_precise": final + precise_gain}}
               for e, a in enumerate(accs)]
    return {"arch": "cnn", "block": block, "seed": seed, "status": "ok", "history": history,
            "final_test_acc": final}


def use(monkeypatch, constant, cosine):
    profiles = {"cnn-converged": pd.DataFrame(constant), "cnn-converged-cosine": pd.DataFrame(cosine)}
    monkeypatch.setattr(schedule, "loader", lambda results: lambda p: profiles.get(p, pd.DataFrame()))


def test_only_seeds_with_both_orders_in_both_schedules_are_compared(monkeypatch):
    constant = [run(b, s, 90.0 + (b == "relu-bn") * (1.0 + 0.05 * s) + 0.1 * s, 2.0)
                for s in range(4) for b in ("bn-relu", "relu-bn")]
    cosine = [run(b, s, 91.0 + 0.1 * s + 0.05 * s * (b == "relu-bn"), 0.2)
              for s in (0, 1, 2) for b in ("bn-relu", "relu-bn") if (s, b) != (1, "relu-bn")]
    use(monkeypatch, constant, cosine)
    assert schedule.common_seeds("results") == [0, 2]
    table = schedule.schedule_table("results")
    assert table.loc[("constant", "running statistics"), "relu-bn − bn-relu"] == pytest.approx(1.05)
    assert table.loc[("cosine", "running statistics"), "seeds"] == 2
    assert table.loc[("constant", "running statistics"), "bn-relu volatility"] == pytest.approx(2.0)
    assert table.loc[("constant", "precise statistics"), "bn-relu volatility"] == pytest.approx(0.0)


def test_without_two_shared_seeds_the_comparison_waits(monkeypatch):
    use(monkeypatch, [run("bn-relu", 0, 90.0, 1.0), run("relu-bn", 0, 91.0, 1.0)], [run("bn-relu", 0, 90.0, 0.1)])
    assert schedule.schedule_table("results").empty
