"""python -m bnorder: the training commands need PyTorch and say so in one line without it; the
record-writing commands write their record."""

import pytest
from without_torch import run_without_torch

MAIN = """
from bnorder.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv", [["sweep", "--profile", "cpu", "--jobs", "2"],
                                  ["bench"], ["bench", "--dataset", "synthetic", "--full"]])
def test_training_commands_without_torch_name_the_install_in_one_line(repo_root, argv):
    out = run_without_torch(repo_root, MAIN, *argv, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith("error: training needs PyTorch")
    assert "pip install -e '.[train]'" in out.stderr


def test_coverage_writes_the_record_the_statistics_chapter_reads(tmp_path):
    from bnorder.__main__ import main
    from bnorder.report.statistics import coverage

    assert main(["coverage", "--reps", "5", "--results-dir", str(tmp_path)]) == 0
    table, reps = coverage(tmp_path)
    assert reps == 5 and len(table)
