"""Command line: ``python -m bnorder sweep --profile cpu [--jobs N] [--only key=value ...]``."""

from __future__ import annotations

import argparse
import sys

from .profiles import PROFILES


def _sweep(args) -> int:
    from .sweep import sweep

    result = sweep(args.profile, jobs=args.jobs, only=args.only, results_dir=args.results_dir,
                   runs_dir=args.runs_dir)
    print(f"sweep {args.profile}: {len(result.done)} ran, {len(result.skipped)} already done, "
          f"{len(result.failed)} failed")
    for params, message in result.failed:
        print(f"  failed: {params['arch']} {params['block']} seed {params['seed']}: {message}")
    return 1 if result.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bnorder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sw = sub.add_parser("sweep", help="execute notebooks/train.ipynb once per run of a profile")
    sw.add_argument("--profile", required=True, help=f"one of: {', '.join(PROFILES)}")
    sw.add_argument("--jobs", type=int, default=1, help="runs executed at the same time (default 1)")
    sw.add_argument("--only", action="append", default=[], metavar="KEY=VALUE",
                    help="keep runs whose arch, block, seed or dataset is VALUE (comma list); repeatable")
    sw.add_argument("--results-dir", default="results", help="root of the results tree (default results)")
    sw.add_argument("--runs-dir", default="book/runs", help="executed notebooks go here (default book/runs)")
    be = sub.add_parser("bench", help="images/s of the original study's loop against bnorder's "
                                      "single and fused paths")
    from .bench import add_arguments as _bench_arguments
    _bench_arguments(be)
    args = parser.parse_args(argv)
    try:
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "bench":
            from .bench import main_from_args
            return main_from_args(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
