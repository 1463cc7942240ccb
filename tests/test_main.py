"""python -m bnorder: the training commands need PyTorch and say so in one line without it."""

import os
import subprocess
import sys

import pytest

NO_TORCH = """
import importlib.abc, sys

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("torch", "torchvision"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoTorch())
from bnorder.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv", [["sweep", "--profile", "cpu", "--jobs", "2"],
                                  ["bench"], ["bench", "--dataset", "synthetic", "--full"]])
def test_training_commands_without_torch_name_the_install_in_one_line(repo_root, argv):
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    out = subprocess.run([sys.executable, "-c", NO_TORCH, *argv], cwd=repo_root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith("error: training needs PyTorch")
    assert "pip install -e '.[train]'" in out.stderr
