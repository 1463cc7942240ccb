"""The full-size study is one command: groups of fused seeds within a budget, packed after each."""

import tarfile

import pytest

from bnorder.runs import full_size


def test_a_group_that_would_not_fit_the_budget_is_not_started():
    now = [0.0]
    budget = full_size.Budget(600, clock=lambda: now[0])
    assert budget.allows_another()
    now[0] = 400
    budget.took(250)              # the longest group so far took 250 s; 200 s are left
    assert not budget.allows_another()
    assert full_size.Budget(None).allows_another()


class FakeBackend:
    """Writes nothing; counts the groups it was asked to run."""
    def __init__(self):
        self.groups = []

    def run(self, units, runs_dir):
        for unit in units:
            self.groups.append(unit)
            yield unit, None


def test_the_budget_stops_before_a_group_that_would_overrun_and_packs_after_each(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    now = [0.0]
    backend = FakeBackend()

    class Slow(FakeBackend):
        def run(self, units, runs_dir):
            now[0] += 40          # every group takes 40 s
            yield from backend.run(units, runs_dir)

    (tmp_path / "results" / "smoke-factorial").mkdir(parents=True)
    (tmp_path / "results" / "smoke-factorial" / "seed0.json").write_text("{}")
    out = full_size.run("smoke-factorial", budget_minutes=1.5, pack_to="pack.tar.gz", backend=Slow(),
                        clock=lambda: now[0], log=lambda *_: None)
    assert out["groups_done"] == 2 and out["groups_left"] > 0   # 40 + 40 s; 10 s left < 40 s
    assert all(g["n_seeds"] == 3 for g in backend.groups)       # each configuration's seeds fused
    with tarfile.open(tmp_path / "pack.tar.gz") as tar:
        assert "results/smoke-factorial/seed0.json" in tar.getnames()


@pytest.mark.slow
def test_the_full_size_command_trains_the_toy_profile_and_packs_its_records(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from bnorder.__main__ import main

    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(tmp_path)
    shutil.copytree(root / "notebooks", tmp_path / "notebooks")
    # a budget of under a second: the first group runs, and no second one is started after it
    code = main(["full-size", "--profile", "smoke", "--budget-minutes", "0.01", "--pack", "out/pack.tar.gz"])
    assert code == 0
    records = sorted((tmp_path / "results" / "smoke").rglob("seed*.json"))
    assert len(records) == 1
    with tarfile.open(tmp_path / "out" / "pack.tar.gz") as tar:
        names = tar.getnames()
    assert {str(p.relative_to(tmp_path)) for p in records} <= set(names)
    assert any(n.startswith("book/runs/smoke/") for n in names)
