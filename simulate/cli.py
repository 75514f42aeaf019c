"""Command line: ``python -m simulate [run] [CONFIG] [options]``.

The only module that prints. Bad input prints one line (file, field, rule, value)
to stderr and exits with status 2, before any report is touched.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from distributions import METHODS, DistributionError

from .catalog import CONFIG_DIR

__all__ = ["main"]

DEFAULT_SCENARIO = CONFIG_DIR / "llama-3.1-405b.toml"
EXIT_USAGE = 2

EPILOG = """examples:
  python -m simulate                                  run the default scenario
  python -m simulate run configs/llama-3.1-405b-article.toml
  python -m simulate run CONFIG --draws 1000000 --seed 7 --method sobol --out DIR \\
         --set n_gpus=24576 --set 'mfu=0.35 to 0.45'
  python -m simulate backtest configs/reference/training_runs.csv
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
    run = _add_scenario_command(commands, "run", "run a scenario and write its report", EPILOG)
    run.add_argument("--method", choices=METHODS, help="sampling design (default: the file's)")
    run.add_argument(
        "--precision",
        type=float,
        metavar="R",
        help="keep drawing (doubling batches, method random) until every reported percentile's "
        "95%% interval half-width is within R of its value and every risk probability's "
        "within R, e.g. --precision 0.001",
    )
    run.add_argument(
        "--max-draws", type=int, default=2**24, help="cap for --precision (default: %(default)s)"
    )
    sens = _add_scenario_command(
        commands,
        "sensitivity",
        "run a scenario and rank the inputs that drive days, cost and risk",
        "example:\n  python -m simulate sensitivity configs/llama-3.1-405b.toml --method sobol",
    )
    sens.add_argument(
        "--method",
        choices=("rank", "sobol"),
        default="rank",
        help="rank: Spearman, PRCC, contribution to variance, log-variance shares, tornado, "
        "risk drivers; sobol: also Sobol' first-order and total indices (default: %(default)s)",
    )
    sens.add_argument(
        "--sobol-draws",
        type=int,
        default=2**14,
        metavar="N",
        help="Sobol' base draws N, N·(inputs + 2) model runs (default: %(default)s)",
    )
    sens.add_argument("--sampling", choices=METHODS, help="sampling design of the main run")
    sens.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="NODE",
        help="also rank against this node, e.g. --output energy_mwh (repeatable)",
    )
    _add_backtest(commands)
    return parser


def _add_scenario_command(commands: Any, name: str, summary: str, epilog: str) -> Any:
    """A sub-command that runs one scenario: the options every such command shares."""
    command = commands.add_parser(
        name, help=summary, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    command.add_argument(
        "config",
        nargs="?",
        default=str(DEFAULT_SCENARIO),
        help="scenario file (TOML); default: %(default)s",
    )
    command.add_argument("--draws", type=int, help="number of Monte Carlo draws, e.g. 1000000")
    command.add_argument("--seed", type=int, help="random seed, e.g. 7")
    command.add_argument("--out", help="report folder (default: reports/<scenario name>)")
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override an input or scenario field, e.g. --set n_gpus=24576 "
        "--set 'mfu=0.35 to 0.45' (repeatable)",
    )
    command.add_argument(
        "--force",
        action="store_true",
        help="replace an existing report instead of keeping it aside",
    )
    command.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return command


def _add_backtest(commands: argparse._SubParsersAction) -> None:
    backtest = commands.add_parser(
        "backtest",
        help="predict published training runs under fixed priors and report the coverage",
    )
    backtest.add_argument(
        "runs",
        nargs="?",
        help="CSV of runs in the columns of configs/reference/training_runs.csv "
        "(default: that file)",
    )
    backtest.add_argument(
        "--priors", help="priors file (TOML); default: configs/backtest-priors.toml"
    )
    backtest.add_argument("--out", help="report folder (default: reports/backtest-<CSV name>)")
    backtest.add_argument("--force", action="store_true", help="replace an existing report")
    backtest.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _backtest(args: argparse.Namespace) -> int:
    from .backtest import DEFAULT_PRIORS, DEFAULT_RUNS, backtest, load_priors  # noqa: PLC0415
    from .report import _num, write_backtest_report  # noqa: PLC0415

    runs = Path(args.runs) if args.runs else DEFAULT_RUNS
    result = backtest(runs, load_priors(Path(args.priors) if args.priors else DEFAULT_PRIORS))
    out_dir = Path(args.out) if args.out else Path("reports") / f"backtest-{runs.stem}"
    if out_dir.exists() and not out_dir.is_dir():
        raise _Refusal(f"--out {out_dir}: exists and is not a folder")
    out_dir, kept = write_backtest_report(result, out_dir, force=args.force)
    if args.quiet:
        return 0
    low, high = result["interval"]
    rows = [("model", f"P{low:g}", f"P{high:g}", "reported", "rank", "covered")]
    for r in result["runs"]:
        e = r["gpu_hours"]
        p = list(e["predicted"].values())
        rows.append(
            (
                r["model"],
                _num(p[0]),
                _num(p[-1]),
                _num(e["reported"]),
                f"{e['percentile_rank']:.1f}",
                "yes" if e["covered"] else "NO",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    for u in result["unusable"]:
        print(f"not used: line {u['line']} {u['model']}: {u['reason']}")
    cov = result["coverage"]["gpu_hours"]
    if cov["runs"]:
        print(
            f"GPU-hours coverage of the P{low:g}-P{high:g} interval: {cov['covered']} of "
            f"{cov['runs']} = {100 * cov['coverage']:.0f}% (95% CI {100 * cov['ci95'][0]:.0f}% "
            f"to {100 * cov['ci95'][1]:.0f}%)"
        )
    if kept is not None:
        print(f"earlier report kept at {kept}")
    print(f"report: {out_dir}")
    return 0


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
    from .analysis import run_to_precision, sensitivity_section
    from .config import load_scenario
    from .engine import run
    from .report import build_summary, write_report

    ranking = args.command == "sensitivity"
    scenario = load_scenario(
        args.config,
        args.set,
        draws=args.draws,
        seed=args.seed,
        method=args.sampling if ranking else args.method,
    )
    out_dir = Path(args.out) if args.out else Path("reports") / scenario.name
    if out_dir.exists() and not out_dir.is_dir():
        raise _Refusal(f"--out {out_dir}: exists and is not a folder")
    convergence = None
    if not ranking and args.precision is not None:
        ds, convergence = run_to_precision(
            scenario, precision=args.precision, max_draws=args.max_draws
        )
    else:
        ds = run(scenario)
    if ranking:
        section = sensitivity_section(
            ds, scenario, method=args.method, outputs=args.output, sobol_n=args.sobol_draws
        )
    else:
        section = sensitivity_section(ds, scenario)
    summary = build_summary(ds, scenario, sensitivity=section, convergence=convergence)
    out_dir, kept = write_report(summary, out_dir, force=args.force)
    if not args.quiet:
        if ranking and section is not None:
            from .sensitivity import markdown_section

            print(markdown_section(section, limit=10))
        print(_terminal_table(summary, out_dir, kept))
    return 0


class _Refusal(ValueError):
    """A command-line request that cannot be carried out (printed as one line)."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv.insert(0, "run")
    args = _parser().parse_args(argv)
    from .config import ConfigError

    try:
        return _backtest(args) if args.command == "backtest" else _run(args)
    except (ConfigError, DistributionError, _Refusal) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"error: cannot write the report: {error}", file=sys.stderr)
        return 1
