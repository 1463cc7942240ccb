"""The check refuses a primary question's record run before the question was committed, on a
seed it did not reserve, or from uncommitted code; and accepts one run after it."""

import json
import subprocess

from bnorder.analysis import preregistration
from bnorder.runs.config import make_config

QUESTION = """margin: 0.5
selection: {seeds: [0], candidates: []}
questions:
- id: primary-x
  family: primary
  test: paired
  arm: {profile: confirm-x, block: relu-bn}
  base: {profile: confirm-x, block: bn-relu}
  metric: final_test_acc
  expect: negative
  seeds: 100-101
"""


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo, message):
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def record(repo, block, seed, commit_sha):
    cfg = make_config(dataset="synthetic", arch="mlp", block=block, seed=seed, profile="confirm-x")
    path = repo / "results" / "confirm-x" / "synthetic" / "mlp" / block / f"seed{seed}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": 1, "status": "ok", "config": cfg.as_dict(), "epochs": [],
                                "summary": {"final_test_acc": 80.0},
                                "provenance": {"git_commit": commit_sha}}))


def test_records_must_descend_from_the_question_use_its_seeds_and_committed_code(tmp_path):
    repo = tmp_path
    git(repo, "init", "-q")
    (repo / "book").mkdir()
    (repo / "README").write_text("before\n")
    before = commit(repo, "before the question")
    (repo / "book" / "predictions.yml").write_text(QUESTION)
    written = commit(repo, "the question")
    (repo / "README").write_text("after\n")
    after = commit(repo, "after the question")

    def problems():
        return preregistration.problems(repo / "results", repo, repo / "book" / "predictions.yml")

    record(repo, "bn-relu", 100, written)
    record(repo, "relu-bn", 100, after)
    assert problems() == []

    record(repo, "relu-bn", 101, before)       # run before the question was written
    record(repo, "bn-relu", 101, after + "-dirty")
    record(repo, "bn-relu", 7, after)          # a seed the question did not reserve
    found = "\n".join(problems())
    assert "relu-bn/seed101.json: run at" in found and "does not descend" in found
    assert "bn-relu/seed101.json: run from uncommitted code" in found
    assert "seed 7 is not one the question reserves" in found
    assert len(problems()) == 3


def test_a_question_not_yet_committed_is_a_problem(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "predictions.yml").write_text(QUESTION)
    got = preregistration.problems(tmp_path / "results", tmp_path, tmp_path / "book" / "predictions.yml")
    assert got and "not in any commit" in got[0]
