"""Command line: ``python -m simulate [run] [CONFIG] [options]``.

The only module that prints. Bad input prints one line (file, field, rule, value)
to stderr and exits with status 2, before any report is touched.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from distributions import METHODS

from .catalog import CONFIG_DIR

__all__ = ["main"]

DEFAULT_SCENARIO = CONFIG_DIR / "llama-3.1-405b.toml"
EXIT_USAGE = 2
#: Chunk size when --backend dask is asked for without --chunk-draws.
DEFAULT_CHUNK_DRAWS = 1_000_000

EPILOG = """examples:
  python -m simulate                                  run the default scenario
  python -m simulate run configs/llama-3.1-405b-article.toml
  python -m simulate run CONFIG --draws 1000000 --seed 7 --method sobol --out DIR \\
         --set n_gpus=24576 --set 'mfu=0.35 to 0.45'
  python -m simulate run --draws 1000000000 --chunk-draws 1000000 --backend dask --workers 2
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m simulate",
        description="Monte Carlo simulator of the cost and duration of training an LLM.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser(
        "run",
        help="run a scenario and write its report",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "config",
        nargs="?",
        default=str(DEFAULT_SCENARIO),
        help="scenario file (TOML); default: %(default)s",
    )
    run.add_argument("--draws", type=int, help="number of Monte Carlo draws, e.g. 1000000")
    run.add_argument("--seed", type=int, help="random seed, e.g. 7")
    run.add_argument("--method", choices=METHODS, help="sampling design (default: the file's)")
    run.add_argument("--out", help="report folder (default: reports/<scenario name>)")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override an input or scenario field, e.g. --set n_gpus=24576 "
        "--set 'mfu=0.35 to 0.45' (repeatable)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an existing report instead of keeping it aside",
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    scale = run.add_argument_group("scale (see docs/performance.md)")
    scale.add_argument(
        "--chunk-draws",
        type=int,
        metavar="N",
        help="run the draws in chunks of N, in bounded memory (exact percentiles in two "
        "passes), e.g. 1000000",
    )
    scale.add_argument(
        "--backend",
        choices=("memory", "dask"),
        default="memory",
        help="where chunks run: threads in this process, or dask.distributed "
        "(default: %(default)s)",
    )
    scale.add_argument("--scheduler", metavar="ADDRESS", help="dask scheduler to join")
    scale.add_argument(
        "--workers", type=int, metavar="N", help="threads or local dask workers (default: CPUs)"
    )
    return parser


def _terminal_table(summary: dict, out_dir: Path, kept: Path | None) -> str:
    from .report import _num, _pct  # noqa: PLC0415 (formatting helpers shared with the report)

    keys = summary["percentiles"]
    rows = [("node", "units", *(k.upper() for k in keys))]
    for name in (
        "train_days",
        "gpu_hours",
        "energy_mwh",
        "energy_cost_usd",
        "capex_usd",
        "tco_usd",
    ):
        if name in summary["variables"]:
            v = summary["variables"][name]
            rows.append((name, v["units"], *(_num(v["percentiles"][k]) for k in keys)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    for key, entry in summary["risk"].items():
        low, high = entry["ci95"]
        lines.append(
            f"P({key.replace('_over_', ' > ')} {_num(entry['threshold'])}) = "
            f"{_pct(entry['probability'])} (95% CI {_pct(low)} to {_pct(high)})"
        )
    prov = summary["provenance"]
    lines.append(f"{prov['draws']:,} draws, method {prov['method']}, seed {prov['seed']}")
    if kept is not None:
        lines.append(f"earlier report kept at {kept}")
    lines.append(f"report: {out_dir}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from .config import load_scenario
    from .engine import run
    from .report import build_summary, write_report

    scenario = load_scenario(
        args.config, args.set, draws=args.draws, seed=args.seed, method=args.method
    )
    out_dir = Path(args.out) if args.out else Path("reports") / scenario.name
    if out_dir.exists() and not out_dir.is_dir():
        raise _Refusal(f"--out {out_dir}: exists and is not a folder")
    if args.chunk_draws is None and (args.backend == "dask" or args.scheduler):
        args.chunk_draws = min(scenario.draws, DEFAULT_CHUNK_DRAWS)
    if args.scheduler and args.backend != "dask":
        raise _Refusal(f"--scheduler {args.scheduler}: needs --backend dask")
    if args.workers is not None and args.workers < 1:
        raise _Refusal(f"--workers: must be a whole number >= 1; got {args.workers}")
    if args.chunk_draws is None:
        summary = build_summary(run(scenario, threads=args.workers), scenario)
    else:
        from .chunked import run_chunked

        summary = run_chunked(
            scenario,
            chunk_draws=args.chunk_draws,
            backend=args.backend,
            workers=args.workers,
            scheduler=args.scheduler,
        ).summary
    out_dir, kept = write_report(summary, out_dir, force=args.force)
    if not args.quiet:
        print(_terminal_table(summary, out_dir, kept))
    return 0


class _Refusal(ValueError):
    """A command-line request that cannot be carried out (printed as one line)."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv.insert(0, "run")
    args = _parser().parse_args(argv)
    from distributions import DistributionError

    from .chunked import ChunkError
    from .config import ConfigError

    try:
        return _run(args)
    except (ConfigError, DistributionError, ChunkError, _Refusal) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"error: cannot write the report: {error}", file=sys.stderr)
        return 1
