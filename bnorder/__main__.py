"""Command line: ``python -m bnorder sweep --profile cpu [--jobs N] [--only key=value ...]
[--backend local|ray [--address HOST:PORT]]`` and ``python -m bnorder bench``. Both train, so
both need PyTorch (the ``train`` extra); without it they stop with one line saying what to install.
``python -m bnorder full-size`` trains the full-size study on one GPU (:mod:`bnorder.runs.full_size`).
``python -m bnorder coverage`` writes the interval-coverage simulation's record and ``python -m
bnorder findings [--check]`` the findings the chapters cite; ``python -m bnorder figure NAME
[--out FILE]`` draws a figure of the book from the records (``--list`` names them); none of the
three needs torch."""

from __future__ import annotations

import argparse
import sys

from . import require_torch
from .runs.profiles import PROFILES

TRAINING_COMMANDS = ("sweep", "bench", "full-size")


def _sweep(args) -> int:
    from .runs.backends import make_backend
    from .runs.profiles import match_profiles
    from .runs.sweep import parse_filters, sweep

    # Check every argument before any run starts or any record is touched.
    profiles = match_profiles(args.profile)
    parse_filters(args.only)
    backend = make_backend(args.backend, jobs=args.jobs, address=args.address)
    failed = 0
    for profile in profiles:
        result = sweep(profile, only=args.only, results_dir=args.results_dir,
                       runs_dir=args.runs_dir, backend=backend, fuse_seeds=args.fuse_seeds)
        print(f"sweep {profile}: {len(result.done)} ran, {len(result.skipped)} already done, "
              f"{len(result.failed)} failed, {len(result.diverged)} diverged")
        for params, message in result.failed:
            print(f"  failed: {params['arch']} {params['block']} seed {params['seed']}: {message}")
        for params in result.diverged:
            print(f"  diverged: {params['arch']} {params['block']} seed {params['seed']} (recorded)")
        failed += len(result.failed)
    return 1 if failed else 0


def _figure(args, parser) -> int:
    from .report import figures

    if args.list:
        print(figures.listing())
        return 0
    if not args.name:
        parser.error("figure: give a NAME, or --list to see them")
    print(f"wrote {figures.save(args.name, args.out)}")
    return 0


def _add_sweep(sub) -> None:
    sw = sub.add_parser("sweep", help="execute notebooks/train.ipynb once per run of a profile")
    sw.add_argument("--profile", required=True,
                    help=f"a profile, a comma list, a pattern like 'factorial-lr*' or 'variants' (every "
                         f"confound and robustness variant); profiles: {', '.join(PROFILES)}")
    sw.add_argument("--jobs", type=int, default=1, help="runs executed at the same time (default 1)")
    sw.add_argument("--only", action="append", default=[], metavar="KEY=VALUE",
                    help="keep runs whose arch, block, seed or dataset is VALUE (comma list); repeatable")
    sw.add_argument("--fuse-seeds", action="store_true",
                    help="train the seeds of each configuration together as one stacked model "
                         "(one record per seed; local backend; with a probe it records BatchNorm's three "
                         "evaluations but not the mechanism diagnostics)")
    _add_folders(sw)
    sw.add_argument("--backend", default="local", metavar="NAME",
                    help="where runs execute: local (default: --jobs at a time on this machine, one "
                         "GPU each) or ray (one Ray task per run on a cluster; pip install -e '.[ray]')")
    sw.add_argument("--address", default=None, metavar="HOST:PORT",
                    help="with --backend ray: the cluster's head, as printed by `ray start --head` "
                         "(default: $RAY_ADDRESS, else a Ray started on this machine)")


def _add_folders(p, runs: bool = True) -> None:
    p.add_argument("--results-dir", default="results", help="root of the results tree (default results)")
    if runs:
        p.add_argument("--runs-dir", default="book/runs",
                       help="executed notebooks go here (default book/runs)")


def _add_full_size(sub) -> None:
    fs = sub.add_parser("full-size", help="the full-size study on one GPU (CIFAR-10, 64 channels, the "
                                          "factorial): fused seeds, a time budget, records packed after "
                                          "every group")
    fs.add_argument("--profile", default="cifar10-factorial",
                    help="the profile to train (default cifar10-factorial; smoke-factorial: toy size)")
    fs.add_argument("--budget-minutes", type=float, default=None,
                    help="start no group that would not finish within this many minutes (default: none)")
    fs.add_argument("--pack", default=None, metavar="FILE.tar.gz",
                    help="after every group, write the profile's records and notebooks to this archive")
    _add_folders(fs)


def _add_reading_commands(sub):
    """coverage, findings and figure: no torch. Returns the figure's parser (for its errors)."""
    cv = sub.add_parser("coverage", help="simulate how often 95%% intervals cover the mean and "
                                         "write results/coverage/interval-coverage.json (no torch)")
    cv.add_argument("--reps", type=int, default=1000, help="simulated studies per point (default 1000)")
    _add_folders(cv, runs=False)
    fd = sub.add_parser("findings", help="write book/findings.json from the records (no torch); "
                                         "--check: fail when a chapter's claim no longer holds")
    fd.add_argument("--check", action="store_true", help="write nothing; exit 1 naming every claim "
                    "the records no longer support, or when book/findings.json is out of date")
    _add_folders(fd, runs=False)
    fg = sub.add_parser("figure", help="draw a figure of the book from the records, as the book shows "
                                       "it (no torch, no Jupyter); --list names them")
    fg.add_argument("name", nargs="?", help="the figure's name, as its chapter glues it (e.g. fig_forest)")
    fg.add_argument("--list", action="store_true", help="list the figures, one line each, and exit")
    fg.add_argument("--out", default=None, metavar="FILE.png|FILE.pdf",
                    help="where to write it; the suffix picks the format (default figures/NAME.png)")
    return fg


def _full_size(args) -> int:
    from .runs.full_size import run as full_size
    from .runs.profiles import get_profile

    get_profile(args.profile)   # an unknown profile stops here, naming the valid ones
    out = full_size(args.profile, args.budget_minutes, args.pack, args.results_dir, args.runs_dir)
    return 1 if out["failed"] else 0


def _findings(args) -> int:
    from .findings import main as findings_main

    return findings_main(args.results_dir, check_only=args.check)


def _coverage(args) -> int:
    from .analysis.interval_coverage import write

    print(f"wrote {write(args.results_dir, args.reps)}")
    return 0


def _bench(args) -> int:
    from .train.bench import main_from_args

    return main_from_args(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        require_torch()
        no_torch = None
    except ImportError as e:
        no_torch = str(e)
    if no_torch and argv[:1] and argv[0] in TRAINING_COMMANDS:
        print(f"error: {no_torch}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m bnorder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_sweep(sub)
    _add_full_size(sub)
    be = sub.add_parser("bench", help="images/s of the original study's loop against bnorder's "
                                      "single and fused paths")
    if not no_torch:  # its options are defined next to the benchmark, which imports torch
        from .train.bench import add_arguments as _bench_arguments
        _bench_arguments(be)
    figure_parser = _add_reading_commands(sub)
    args = parser.parse_args(argv)
    commands = {"sweep": _sweep, "full-size": _full_size, "bench": _bench, "coverage": _coverage,
                "findings": _findings, "figure": lambda a: _figure(a, figure_parser)}
    try:
        return commands[args.command](args)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
