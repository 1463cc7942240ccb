"""Run Python with torch made unimportable: how the book-only install behaves."""

import os
import subprocess
import sys

BLOCK_TORCH = """
import importlib.abc, sys

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("torch", "torchvision"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoTorch())
"""


def run_without_torch(repo_root, script: str, *argv: str, timeout: int = 300):
    """``python -c script argv…`` in ``repo_root`` with torch blocked; the completed process."""
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    return subprocess.run([sys.executable, "-c", BLOCK_TORCH + script, *argv], cwd=repo_root,
                          env=env, capture_output=True, text=True, timeout=timeout)
