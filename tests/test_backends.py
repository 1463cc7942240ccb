"""Backends: the local pool (one GPU per kernel), a real Ray cluster on 127.0.0.1, and runs whose
worker is killed mid-run (SIGKILL): recorded as failed (Ray: after its retry), the sweep carries
on, and a re-run finishes the sweep without redoing finished runs or leaving half a file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from bnorder.runs import backends
from bnorder.runs.backends import LocalBackend, RayBackend, make_backend, task_name, visible_gpus
from bnorder.runs.sweep import is_done, plan

ROOT = Path(__file__).resolve().parent.parent
SWEEP = [sys.executable, "-m", "bnorder", "sweep", "--profile", "smoke", "--only", "arch=mlp",
         "--results-dir", "results", "--runs-dir", "runs"]
BLOCKS = ("bn-relu", "relu-bn", "lrelu-bn")  # the smoke profile's mlp runs, seed 0


# --- helpers: processes, files -------------------------------------------------------------

def processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process we may read."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError, ValueError):
            continue
        out[int(d.name)] = (ppid, cmd)
    return out


def descendants(pid: int, procs=None) -> list[int]:
    procs = processes() if procs is None else procs
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, (pp, _) in procs.items() if pp == parent]
        found += children
        frontier += children
    return found


def snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def check_no_half_files(root: Path) -> None:
    """Every record parses, every notebook reads, no temporary file is left."""
    for p in (root / "results").rglob("*.json"):
        json.loads(p.read_text())
    for p in (root / "runs").rglob("*.ipynb"):
        nbformat.read(p, as_version=4)
    leftovers = [p for p in root.rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]
    assert not leftovers, leftovers


def record(root: Path, block: str) -> dict:
    return json.loads((root / f"results/smoke/synthetic/mlp/{block}/seed0.json").read_text())


def notebook(root: Path, block: str) -> Path:
    return root / f"runs/smoke/synthetic-mlp-{block}-seed0.ipynb"


def env_for_cli() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # Ray on 127.0.0.1 only, never another address
    return env


# --- fast checks ---------------------------------------------------------------------------

def test_unknown_backend_and_misplaced_address_name_the_fix():
    with pytest.raises(ValueError, match=r"unknown backend 'spark'; valid backends: local, ray"):
        make_backend("spark")
    with pytest.raises(ValueError, match=r"--address is for --backend ray"):
        make_backend("local", address="127.0.0.1:6379")
    with pytest.raises(ValueError, match="--jobs must be a positive integer"):
        make_backend("local", jobs=0)


def test_visible_gpus_follow_cuda_visible_devices(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,6")
    assert visible_gpus() == ["4", "6"]
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert visible_gpus() == ["0", "1"]
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert visible_gpus() == []


def test_local_backend_gives_each_concurrent_run_its_own_gpu_round_robin(monkeypatch):
    """Three jobs on two GPUs: kernels get CUDA_VISIBLE_DEVICES 0, 1, 0; never more runs on
    one GPU at a time than its share of the slots."""
    lock, busy, seen = threading.Lock(), {}, []

    def fake_execute(params, runs_dir, env=None):
        gpu = env["CUDA_VISIBLE_DEVICES"]
        with lock:
            busy[gpu] = busy.get(gpu, 0) + 1
            seen.append(dict(busy))
        time.sleep(0.05)
        with lock:
            busy[gpu] -= 1
        if params["seed"] == 3:
            raise RuntimeError("boom\nlast line")

    monkeypatch.setattr(backends, "execute", fake_execute)
    todo = [{"seed": s} for s in range(8)]
    out = dict((p["seed"], err) for p, err in LocalBackend(jobs=3, gpus=["0", "1"]).run(todo, "runs"))
    assert out.pop(3) == "RuntimeError: last line" and set(out.values()) == {None}
    assert max(s.get("0", 0) for s in seen) <= 2 and max(s.get("1", 0) for s in seen) <= 1
    assert {g for s in seen for g in s} == {"0", "1"}


def test_backends_do_not_import_the_sweep():
    """The sweep is handed a backend; a backend executes notebooks (bnorder.runs.execute), so the two
    modules import each other in one direction only."""
    code = "import sys, bnorder.runs.backends; assert 'bnorder.runs.sweep' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], env=env_for_cli(), check=True, timeout=120)


def test_ray_task_is_named_after_its_record():
    params = plan("smoke", ["arch=mlp", "block=case2"])[0]
    assert task_name(params) == "bnorder smoke/synthetic/mlp/relu-bn/seed0"


# --- kernels and workers, for real ---------------------------------------------------------

@pytest.mark.slow
def test_ray_task_body_returns_a_record_and_notebook_as_if_run_on_the_driver(tmp_path, monkeypatch):
    """execute_remote (what a Ray task runs) writes nothing outside its scratch folder; the
    driver stores what it returns, with the driver's paths in record and notebook."""
    monkeypatch.chdir(tmp_path)
    params = plan("smoke", ["arch=mlp", "block=relu-bn"], results_dir="results")[0]
    reply = backends.execute_remote(params, "runs", str(tmp_path))
    assert "error" not in reply, reply
    assert not list(tmp_path.rglob("*"))  # nothing written where the driver keeps its files
    assert not list(Path(tempfile.gettempdir()).glob(f"{backends.SCRATCH_PREFIX}{os.getpid()}-*"))
    assert reply["record"]["config"]["results_dir"] == "results"
    text = reply["notebook"].decode()
    assert backends.SCRATCH_PREFIX not in text and "record: results/smoke/synthetic/mlp/relu-bn/seed0.json" in text
    backends.store(params, reply["record"], reply["notebook"], "runs")
    assert is_done(params, "runs") and record(tmp_path, "relu-bn")["status"] == "ok"
    check_no_half_files(tmp_path)


@pytest.mark.slow
def test_local_sweep_survives_a_killed_kernel_and_resumes(tmp_path):
    """SIGKILL the kernel of the first run: that run gets a 'failed' record, the other two
    finish; the re-run executes only the failed run."""
    proc = subprocess.Popen(SWEEP + ["--jobs", "1"], cwd=tmp_path, env=env_for_cli(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        kernel, deadline = None, time.time() + 180
        while kernel is None and time.time() < deadline and proc.poll() is None:
            procs = processes()
            kernels = [p for p in descendants(proc.pid, procs) if "ipykernel_launcher" in procs[p][1]]
            if kernels:
                time.sleep(0.5)  # let it get going: imports, parameters
                os.kill(kernels[0], signal.SIGKILL)
                kernel = kernels[0]
            time.sleep(0.1)
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert kernel is not None, "no kernel seen"
    assert proc.returncode == 1 and "2 ran, 0 already done, 1 failed" in out, out
    failed = [b for b in BLOCKS if record(tmp_path, b)["status"] == "failed"]
    assert len(failed) == 1 and "died" in record(tmp_path, failed[0])["failure"]["error"].lower()
    assert not notebook(tmp_path, failed[0]).exists()
    check_no_half_files(tmp_path)

    finished = {k: v for k, v in snapshot(tmp_path).items() if failed[0] not in k}
    again = subprocess.run(SWEEP, cwd=tmp_path, env=env_for_cli(), capture_output=True, text=True)
    assert again.returncode == 0 and "1 ran, 2 already done, 0 failed" in again.stdout, again.stdout
    assert all(record(tmp_path, b)["status"] == "ok" and notebook(tmp_path, b).exists() for b in BLOCKS)
    assert {k: v for k, v in snapshot(tmp_path).items() if k in finished} == finished
    check_no_half_files(tmp_path)


# --- a real Ray cluster on 127.0.0.1 -------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_cluster(group: int, temp_dir: str) -> None:
    """Stop this test's Ray processes only: its process group (GCS, raylet, agents) and the
    raylet's workers (each in a session of its own). Never another Ray on the machine."""
    procs = processes()
    ours = [p for p, (_, cmd) in procs.items() if temp_dir in cmd]
    workers = [w for p in ours for w in descendants(p, procs)]
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        pass
    for pid in workers:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 5
    while time.time() < deadline and any(Path(f"/proc/{p}").exists() for p in ours + workers):
        time.sleep(0.2)
    for pid in ours + workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def ray_address():
    """A one-node Ray cluster on 127.0.0.1 (2 CPUs, a small object store), like
    ``ray start --head`` on a cluster's head machine."""
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    try:
        import ray as _  # noqa: F401
    except ImportError:
        ray = None
    if not ray:
        why = "Ray is not installed: pip install -e '.[ray]'"
        if os.environ.get("BNORDER_REQUIRE_RAY"):  # CI: this test must run
            pytest.fail(f"{why} (BNORDER_REQUIRE_RAY is set)", pytrace=False)
        pytest.skip(why)
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="bnray")  # short: Ray's socket paths must stay short
    proc = subprocess.Popen(
        [ray, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
         "--num-gpus=0", "--include-dashboard=false", "--object-store-memory=200000000",
         f"--temp-dir={temp_dir}", "--disable-usage-stats"],
        env=env_for_cli(), start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        out, _ = proc.communicate(timeout=180)
        assert proc.returncode == 0, out[-3000:]
        assert "Local node IP: 127.0.0.1" in out, out[-3000:]
        yield f"127.0.0.1:{port}"
    finally:
        stop_cluster(proc.pid, temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


def ray_worker_of(run: str) -> list[int]:
    """Ray workers executing the task named ``run`` (their process title is ``ray::<name>``)."""
    return [p for p, (_, cmd) in processes().items() if cmd.startswith(f"ray::{run}")]


@pytest.mark.slow
@pytest.mark.ray
def test_ray_sweep_gathers_every_record_and_notebook_on_the_driver_even_when_a_worker_dies(
        tmp_path, ray_address):
    """The smoke mlp runs on a real Ray cluster. The worker of one run is SIGKILLed mid-run on
    each attempt: Ray retries it once, then the sweep records it as failed and carries on. The
    re-run executes only that run; finished runs are not redone; no half-written file anywhere."""
    params = plan("smoke", ["arch=mlp", "block=relu-bn"])[0]
    victim = task_name(params)
    cmd = SWEEP + ["--backend", "ray", "--address", ray_address]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env_for_cli(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed: list[int] = []
    try:
        deadline = time.time() + 300
        while proc.poll() is None and time.time() < deadline and len(killed) <= RayBackend(None).max_retries:
            procs = processes()
            for worker in ray_worker_of(victim):
                if worker not in killed and any("ipykernel_launcher" in procs.get(k, (0, ""))[1]
                                                for k in descendants(worker, procs)):
                    time.sleep(0.5)  # mid-run: its kernel is up
                    os.kill(worker, signal.SIGKILL)
                    killed.append(worker)
            time.sleep(0.2)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(killed) == 2, (killed, out, err[-3000:])  # the first attempt and its one retry
    assert proc.returncode == 1 and "2 ran, 0 already done, 1 failed" in out, (out, err[-3000:])
    failure = record(tmp_path, "relu-bn")
    assert failure["status"] == "failed" and failure["failure"]["error"].startswith("WorkerCrashedError")
    assert not notebook(tmp_path, "relu-bn").exists()
    for block in ("bn-relu", "lrelu-bn"):
        assert record(tmp_path, block)["status"] == "ok" and notebook(tmp_path, block).exists()
    check_no_half_files(tmp_path)

    finished = {k: v for k, v in snapshot(tmp_path).items() if "relu-bn" not in k.replace("lrelu-bn", "")}
    again = subprocess.run(cmd, cwd=tmp_path, env=env_for_cli(), capture_output=True, text=True)
    assert again.returncode == 0 and "1 ran, 2 already done, 0 failed" in again.stdout, \
        (again.stdout, again.stderr[-3000:])
    assert {k: v for k, v in snapshot(tmp_path).items() if k in finished} == finished
    check_no_half_files(tmp_path)
    # the records and notebooks read as if the runs had executed here, not in a worker's scratch
    for block in BLOCKS:
        rec = record(tmp_path, block)
        assert rec["status"] == "ok" and rec["config"]["results_dir"] == "results"
        text = notebook(tmp_path, block).read_text()
        assert f"record: results/smoke/synthetic/mlp/{block}/seed0.json" in text
        assert backends.SCRATCH_PREFIX not in text
    # the killed workers' scratch folders are gone (cleaned by the next task on their node)
    for pid in killed:
        assert not list(Path(tempfile.gettempdir()).glob(f"{backends.SCRATCH_PREFIX}{pid}-*"))
