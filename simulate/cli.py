"""Command line: ``python -m simulate [run|sensitivity|validate|show|catalog|compare|backtest]``.

The only module that prints. Bad input prints one line (file, field, rule, value)
to stderr and exits with status 2, before any report is touched. Heavy packages
(numpy, scipy, xarray, the plotting stack) are imported only by the commands that
need them, so ``--help`` starts fast.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .model.catalog import CONFIG_DIR

__all__ = ["main"]

DEFAULT_SCENARIO = CONFIG_DIR / "llama-3.1-405b.toml"
EXIT_USAGE = 2
#: ``run --precision R`` stopped at --max-draws before every interval was within R.
EXIT_NOT_CONVERGED = 3
#: The sampling designs, as :data:`distributions.METHODS` (kept here so that ``--help``
#: does not import scipy; a test holds the two equal).
METHODS = ("random", "lhs", "sobol")
#: simulate.engine.dask_runner's CONNECT_TIMEOUT_S and WORKER_WAIT_S, for --help (which must
#: not import numpy; a test holds them equal).
SCHEDULER_CONNECT_S = 10
SCHEDULER_WORKER_WAIT_S = 5
COMMANDS = ("run", "sensitivity", "validate", "show", "catalog", "compare", "backtest", "solve")

EPILOG = """examples:
  python -m simulate                                  run the default scenario
  python -m simulate run configs/llama-3.1-405b-article.toml
  python -m simulate run CONFIG --draws 1000000 --seed 7 --method sobol --out DIR \\
         --set n_gpus=24576 --set 'mfu=0.35 to 0.45' --save-draws
  python -m simulate validate configs/llama-3.1-405b.toml
  python -m simulate show configs/llama-3.1-405b.toml --set accelerator=B200
  python -m simulate catalog
  python -m simulate compare configs/llama-3.1-405b.toml configs/llama-3.1-405b-article.toml
  python -m simulate sensitivity configs/llama-3.1-405b.toml --analysis sobol
  python -m simulate backtest
  python -m simulate solve configs/dense-1t-h100.toml --vary n_gpus \\
         --target 'P(train_days <= 90) >= 0.9' --step 1024
  python -m simulate run --draws 1000000000 --chunk-draws 1000000 --backend dask --workers 2

each command has its own help: python -m simulate COMMAND --help
exit status: 0 done; 2 bad input (one line on stderr, no report touched); 1 cannot write;
3 run --precision stopped at --max-draws short of the precision (report written)
"""
RUN_EPILOG = """examples:
  python -m simulate run                              the default scenario
  python -m simulate run configs/llama-3.1-405b-article.toml --quiet
  python -m simulate run CONFIG --draws 1000000 --seed 7 --method sobol --out /tmp/r \\
         --set n_gpus=24576 --set 'mfu=0.35 to 0.45' --save-draws --force
  python -m simulate run configs/dense-1t-h100.toml --sweep n_gpus=8192:65536:8192
  python -m simulate run CONFIG --sweep n_gpus=32768,49152,65536 --sweep mfu=0.35:0.45:0.05

The report folder (default reports/<scenario name>) holds summary.json, report.md,
percentiles.csv, report.html (one self-contained page), the plots as PNG, and with
--save-draws draws.nc (every draw: xarray.open_dataset("draws.nc"), constants once;
simulate.report.draws.load_draws gives the run's Dataset; --compress: zlib), with --sweep sweep.csv
and sweep_*.png (fan charts; summary.json's "sweep", report.md's "Sweep"). An earlier report
at the same place is kept aside as <folder>.<UTC time> unless --force; a folder that is
not a report of this tool (no .llm-cost-mc-report marker) is never replaced or moved.
"""
SENSITIVITY_EPILOG = """examples:
  python -m simulate sensitivity                      rank the default scenario's inputs
  python -m simulate sensitivity CONFIG --analysis sobol --sobol-draws 8192 --output energy_mwh
  python -m simulate sensitivity CONFIG --analysis shapley   variance shares, correlations kept
  python -m simulate sensitivity CONFIG --method lhs --analysis rank   LHS draws, as run

--method is the sampling design (random, lhs, sobol), as in run; --analysis the analysis.
An older `sensitivity --method sobol|shapley|rank` (when --method named the analysis) is
refused with a line naming --analysis, since --method sobol now means Sobol' draws.

Writes the same report as run (its sensitivity section then holds the Sobol' indices or
Shapley effects too; Shapley effects replace Sobol' indices when the scenario has
[correlations]) and prints the ranking tables. Every run already ranks the inputs by rank
correlation.
"""
BACKTEST_EPILOG = """examples:
  python -m simulate backtest                         the reference runs shipped in configs/
  python -m simulate backtest RUNS.csv --priors configs/backtest-priors.toml --out /tmp/bt
"""
VALIDATE_EPILOG = """examples:
  python -m simulate validate configs/llama-3.1-405b.toml
  python -m simulate validate CONFIG --set 'mfu=0.35 to 0.45' --draws 1000

Prints "ok: ..." and exits 0, or prints the one-line error and exits 2. Runs nothing.
"""
SHOW_EPILOG = """examples:
  python -m simulate show configs/llama-3.1-405b.toml
  python -m simulate show CONFIG --set accelerator=B200 --set n_gpus=8192
  python -m simulate show CONFIG --set 'mfu=35% to 45%' --set 'gpu_price_usd=$25,000 to $40,000'

Prints each input's distribution, source and P1, P50, P99 (exact, from its quantile
function): a range "a to b" is P5 to P95 (docs/distributions.md).
"""
CATALOG_EPILOG = """examples:
  python -m simulate catalog

A scenario picks an entry with [cluster] accelerator = "KEY" (or --set accelerator=KEY).
"""
COMPARE_EPILOG = """examples:
  python -m simulate compare configs/llama-3.1-405b.toml configs/llama-3.1-405b-article.toml
  python -m simulate compare A.toml B.toml C.toml --draws 20000 --seed 7 --out /tmp/cmp

Every scenario runs with one seed, draw count and method (the first file's unless given)
and the first file's percentiles,
so the inputs the scenarios share get the same draws (common random numbers) and the
paired differences are meaningful. The folder (default reports/compare-<a>-vs-<b>)
holds summary.json, report.md, report.html and the side-by-side plots.
"""
SOLVE_EPILOG = """examples:
  python -m simulate solve configs/dense-1t-h100.toml --vary n_gpus \\
         --target 'P(train_days <= 90) >= 0.9' --step 1024
  python -m simulate solve CONFIG --vary mfu --target 'P90(train_days) <= 90' --range 0.3:0.6
  python -m simulate solve CONFIG --vary n_tokens --target 'P(train_days_over_deadline) <= 10%'

Targets: P(NODE <= X) (or <, >=, >), P(RISK KEY) (a [risk] target's key, e.g.
train_days_over_deadline: the probability of missing it), PNN(NODE) (a percentile, e.g.
P90(train_days)) or mean(NODE), compared with a number (>=, >, <=, <; a probability may be
written 90%). Every other input is drawn once (common random numbers) and the chain is
evaluated at each value tried, so the answer equals runs with --set NAME=VALUE at the same
seed. Default range: the scenario's value / 16 to x 16. Whole inputs stay whole (--step:
multiples of it). Prints the answer with the statistic's 95% interval and writes solve.json,
report.md and solve.png (default folder reports/<scenario>-solve-<input>). When no value in
the range reaches the target, says so in one line and exits 2, writing nothing.
"""


def _value_range(text: str) -> tuple[float, float]:
    """An argparse ``type=``: ``LOW:HIGH``, two numbers."""
    low, sep, high = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return float(low), float(high)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"needs LOW:HIGH, two numbers, e.g. 8192:65536; got {text!r}"
        ) from None


def _positive(text: str) -> float:
    """An argparse ``type=``: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"needs a number > 0, e.g. 1024; got {text!r}")
    return value


def _whole_at_least(minimum: int) -> Any:
    """An argparse ``type=``: a whole number >= ``minimum`` (else one line naming the rule)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"needs a whole number >= {minimum}; got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"needs a whole number >= {minimum}; got {value}")
        return value

    convert.__name__ = f"whole number >= {minimum}"
    return convert


def _fraction(text: str) -> float:
    """An argparse ``type=``: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs a number in (0, 1); got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"needs a number in (0, 1); got {text}")
    return value


def _power_of_two(text: str) -> int:
    """An argparse ``type=``: a power of 2 >= 2 (Sobol' base draws)."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 2 or value & (value - 1):
        raise argparse.ArgumentTypeError(f"needs a power of 2 >= 2 (e.g. 8192); got {text!r}")
    return value


_COUNT = _whole_at_least(1)
_SEED = _whole_at_least(0)


#: validate pushes the run's draws through the chain, up to this many (every draw of a run
#: of at most 1e6: the very draws the run makes, so a value that overflows is refused by
#: both or by neither; about a second of sampling and chain at 1e6 draws).
VALIDATE_PROBE_DRAWS = 1_000_000
#: ... unless drawing them would take longer than this (slow scipy families): then 16.
VALIDATE_SECONDS = 5.0


ANALYSES = ("rank", "sobol", "shapley")


def _sampling_design(text: str) -> str:
    """``sensitivity --method``: a sampling design; an analysis's name gets the new flag."""
    if text in ANALYSES and text not in METHODS:
        raise argparse.ArgumentTypeError(
            f"--method is the sampling design ({', '.join(METHODS)}), as in run; "
            f"the analysis is --analysis {text}"
        )
    return text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        self.exit(EXIT_USAGE, f"error: {self.prog}: {message}\n")


def _add_scenario_options(
    parser: argparse.ArgumentParser, *, report: bool = True, analysis_hint: bool = False
) -> None:
    parser.add_argument(
        "--draws", type=_COUNT, help="number of Monte Carlo draws, e.g. --draws 1000000"
    )
    parser.add_argument("--seed", type=_SEED, help="random seed >= 0, e.g. --seed 7")
    parser.add_argument(
        "--method",
        dest="sampling",
        type=_sampling_design if analysis_hint else None,
        choices=METHODS,
        help="sampling design (default: the file's), e.g. --method sobol",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override an input or scenario field, e.g. --set n_gpus=24576 "
        "--set 'mfu=0.35 to 0.45' (repeatable)",
    )
    if not report:
        return
    parser.add_argument("--out", help="report folder, e.g. --out /tmp/report")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing report (never a folder this tool did not write) instead of "
        "keeping it aside, e.g. --force",
    )
    parser.add_argument(
        "--no-plots",
        action="store_true",
        help="skip the PNG plots (faster; report.html then has none), e.g. --no-plots",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing but errors (no table, no progress bar), e.g. --quiet",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m simulate",
        description="Monte Carlo simulator of the cost and duration of training an LLM.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    def command(name: str, text: str, epilog: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=text,
            description=text,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    config_help = "scenario file (TOML), e.g. configs/llama-3.1-405b.toml"
    run = command("run", "run a scenario and write its report (the default command)", RUN_EPILOG)
    run.add_argument(
        "config",
        nargs="?",
        default=str(DEFAULT_SCENARIO),
        help="scenario file (TOML); default: %(default)s",
    )
    _add_scenario_options(run)
    run.add_argument(
        "--save-draws",
        action="store_true",
        help="also write every draw to draws.nc (NetCDF-4, uncompressed: at disk speed), "
        "e.g. --save-draws",
    )
    run.add_argument(
        "--compress",
        action="store_true",
        help="with --save-draws: compress draws.nc (zlib level 1: about a fifth smaller, "
        "some 20 times slower to write), e.g. --save-draws --compress",
    )
    run.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH:STEP",
        help="also tabulate the headline outputs' percentiles and each risk probability at "
        "each value of an input, on common random numbers (NAME=V1,V2,... also; twice for a "
        "two-way table), e.g. --sweep n_gpus=8192:65536:8192",
    )
    run.add_argument(
        "--precision",
        type=_fraction,
        metavar="R",
        help="keep drawing (doubling batches, method random or sobol) until the 95%% interval "
        "half-width of every reported percentile (every input and node) is within R of its "
        "value and every risk probability's within R (absolute); exit status 3 if --max-draws "
        "stops it short, e.g. --precision 0.001",
    )
    run.add_argument(
        "--max-draws",
        type=_COUNT,
        default=2**24,
        help="cap for --precision (default: %(default)s), e.g. --max-draws 4000000",
    )
    scale = run.add_argument_group("scale (see docs/performance.md)")
    scale.add_argument(
        "--chunk-draws",
        type=_COUNT,
        metavar="N",
        help="run the draws in chunks of N in bounded memory (exact percentiles in two "
        "passes; no plots, no draws.nc), e.g. --chunk-draws 1000000",
    )
    scale.add_argument(
        "--backend",
        choices=("memory", "dask"),
        default="memory",
        help="where chunks run: threads in this process, or dask.distributed "
        "(default: %(default)s), e.g. --backend dask",
    )
    scale.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="dask scheduler to join, tcp://HOST:PORT or tls://HOST:PORT (default: a local "
        f"cluster); gives up after {SCHEDULER_CONNECT_S} s without its answer, after "
        f"{SCHEDULER_WORKER_WAIT_S} s without a worker (at the start or after losing the "
        "last one), e.g. tcp://10.0.0.5:8786",
    )
    scale.add_argument(
        "--workers",
        type=_COUNT,
        metavar="N",
        help="threads, or local dask workers (default: the CPUs), e.g. --workers 2",
    )
    sens = command(
        "sensitivity",
        "run a scenario and rank the inputs that drive days, cost and risk",
        SENSITIVITY_EPILOG,
    )
    sens.add_argument(
        "config",
        nargs="?",
        default=str(DEFAULT_SCENARIO),
        help="scenario file (TOML); default: %(default)s",
    )
    _add_scenario_options(sens, analysis_hint=True)
    sens.add_argument(
        "--analysis",
        choices=ANALYSES,
        help="rank (default): Spearman, PRCC, contribution to variance, log-variance shares, "
        "tornado, risk drivers; sobol: also Sobol' first-order and total indices (Shapley "
        "effects instead when the scenario has [correlations]); shapley: also Shapley "
        "effects, e.g. --analysis shapley",
    )
    sens.add_argument(
        "--sobol-draws",
        type=_power_of_two,
        default=2**14,
        metavar="N",
        help="Sobol' base draws N (a power of 2), N·(inputs + 2) model runs "
        "(default: %(default)s), "
        "e.g. --sobol-draws 8192",
    )
    sens.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="NODE",
        help="also rank against this node (repeatable), e.g. --output energy_mwh",
    )
    validate = command("validate", "check a scenario file without running it", VALIDATE_EPILOG)
    validate.add_argument("config", help=config_help)
    _add_scenario_options(validate, report=False)
    validate.add_argument(
        "--chunk-draws",
        type=_COUNT,
        metavar="N",
        help="check the memory of a run in chunks of N (as run --chunk-draws N) instead of "
        "in memory, e.g. --chunk-draws 1000000",
    )
    show = command("show", "print the resolved inputs (after catalog and --set)", SHOW_EPILOG)
    show.add_argument("config", help=config_help)
    _add_scenario_options(show, report=False)
    command("catalog", "list the accelerators: dense peaks, TDP, prices, sources", CATALOG_EPILOG)
    compare = command(
        "compare", "run scenarios with common random numbers, side by side", COMPARE_EPILOG
    )
    compare.add_argument(
        "configs",
        nargs="+",
        metavar="CONFIG",
        help="two or more, or one with [variants.NAME]; " + config_help,
    )
    _add_scenario_options(compare)
    backtest = command(
        "backtest",
        "predict published training runs under fixed priors and report the coverage",
        BACKTEST_EPILOG,
    )
    backtest.add_argument(
        "runs",
        nargs="?",
        help="CSV of runs in the columns of configs/reference/training_runs.csv "
        "(default: that file), e.g. my_runs.csv",
    )
    backtest.add_argument(
        "--priors",
        help="priors file (TOML; default: configs/backtest-priors.toml), e.g. --priors p.toml",
    )
    backtest.add_argument(
        "--out", help="report folder (default: reports/backtest-<CSV name>), e.g. --out /tmp/bt"
    )
    backtest.add_argument(
        "--force", action="store_true", help="replace an existing report, e.g. --force"
    )
    backtest.add_argument(
        "--quiet", action="store_true", help="print nothing but errors, e.g. --quiet"
    )
    solve = command(
        "solve",
        "find the value of an input at which a statistic meets a target (goal seek)",
        SOLVE_EPILOG,
    )
    solve.add_argument("config", help=config_help)
    solve.add_argument(
        "--vary", required=True, metavar="NAME", help="the input to solve for, e.g. --vary n_gpus"
    )
    solve.add_argument(
        "--target",
        required=True,
        metavar="TEXT",
        help="a statistic compared with a number, e.g. --target 'P(train_days <= 90) >= 0.9'",
    )
    solve.add_argument(
        "--range",
        dest="value_range",
        type=_value_range,
        metavar="LOW:HIGH",
        help="values to search (default: the scenario's value / 16 to x 16), e.g. 8192:65536",
    )
    solve.add_argument(
        "--step", type=_positive, help="search multiples of this only, e.g. --step 1024"
    )
    _add_scenario_options(solve)
    return parser


#: Library errors name Python parameters; the CLI shows its flags (``chunk_draws`` ->
#: ``--chunk-draws``), for a message that starts with one (after an optional file name).
PARAMETER_FLAGS = {
    "chunk_draws": "--chunk-draws",
    "save_draws": "--save-draws",
    "compress": "--compress",
    "max_draws": "--max-draws",
    "sobol_draws": "--sobol-draws",
    "precision": "--precision",
    "backend": "--backend",
    "scheduler": "--scheduler",
    "workers": "--workers",
    "vary": "--vary",
    "target": "--target",
    "value_range": "--range",
    "step": "--step",
    "sweep": "--sweep",
}
_LEADING_PARAMETER = re.compile(r"^((?:\S+\.toml: )?)(" + "|".join(PARAMETER_FLAGS) + r")\b")


def _as_flags(message: str) -> str:
    """An error message with its leading Python parameter written as the CLI flag."""
    message = _LEADING_PARAMETER.sub(lambda m: m[1] + PARAMETER_FLAGS[m[2]], message)
    for name, flag in PARAMETER_FLAGS.items():
        message = message.replace(f"cannot go with {name} ", f"cannot go with {flag} ")
        message = message.replace(f"needs {name} ", f"needs {flag} ")
        message = message.replace(f"or no {name}", f"or no {flag}")
    return message


class _Refusal(ValueError):
    """A command-line request that cannot be carried out (printed as one line)."""


def _load(args: argparse.Namespace) -> Any:
    from .scenario.config import load_scenario

    scenario = load_scenario(
        args.config, args.set, draws=args.draws, seed=args.seed, method=args.sampling
    )
    if not getattr(args, "quiet", False):
        for warning in scenario.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return scenario


def _out_dir(args: argparse.Namespace, default: Path) -> Path:
    """``--out`` (or ``default``), checked before any work: a report may be written there."""
    from .report.folders import check_destination

    out_dir = Path(args.out) if args.out is not None else default
    label = f"--out {args.out}" if args.out is not None else f"report folder {out_dir}"
    check_destination(out_dir, label=label)
    return out_dir


def _run(args: argparse.Namespace) -> int:
    """``run`` and ``sensitivity``: one scenario, its analyses, its report folder
    (:func:`simulate.workflows.run_report.run_report`)."""
    from .report.progress import RUN_STAGES, StageProgress
    from .report.terminal import summary_table

    ranking = args.command == "sensitivity"
    if ranking and args.analysis is None and args.sampling == "sobol":
        raise _Refusal(
            "--method sobol: in sensitivity, --method is now the sampling design, as in run; "
            "for Sobol' indices use --analysis sobol (with Sobol' draws too: --method sobol "
            "--analysis sobol; for the rank analysis on Sobol' draws: --analysis rank)"
        )
    scenario = _load(args)
    if ranking:
        from .workflows.sections import check_outputs

        check_outputs(scenario, args.output)
    out_dir = _out_dir(args, Path("reports") / scenario.name)
    scale = {} if ranking else _scale(args)
    with StageProgress(RUN_STAGES, enabled=not args.quiet and not scale) as progress:
        from .workflows.run_report import run_report

        with _dask_failures_in_one_line(scale.get("backend") == "dask"):
            result = run_report(
                scenario,
                out=out_dir,
                force=args.force,
                plots=not args.no_plots,
                save_draws=getattr(args, "save_draws", False),
                compress=getattr(args, "compress", False),
                precision=None if ranking else args.precision,
                max_draws=getattr(args, "max_draws", 2**24),
                workers=getattr(args, "workers", None),
                analysis=(args.analysis or "rank") if ranking else "rank",
                outputs=args.output if ranking else (),
                sobol_draws=args.sobol_draws if ranking else 2**14,
                on_stage=progress.stage,
                sweep=getattr(args, "sweep", []),
                **scale,
            )
    status = 0
    convergence = result.summary.get("convergence")
    if convergence is not None and not convergence["converged"]:
        from .report.terminal import convergence_text

        print(f"warning: {convergence_text(convergence)}", file=sys.stderr)
        status = EXIT_NOT_CONVERGED
    if not args.quiet:
        if ranking and result.sensitivity is not None:
            from .analysis.sensitivity import markdown_section
            from .report.units import format_estimate

            print(markdown_section(result.sensitivity, limit=10, number=format_estimate))
        print(summary_table(result.summary, result.out_dir, result.kept))
    return status


def _scale(args: argparse.Namespace) -> dict[str, Any]:
    """``run``'s scale options for the workflow (empty for an in-memory run)."""
    if args.chunk_draws is None and args.backend == "memory" and not args.scheduler:
        return {}
    return {"chunk_draws": args.chunk_draws, "backend": args.backend, "scheduler": args.scheduler}


@contextmanager
def _dask_failures_in_one_line(dask: bool) -> Iterator[None]:
    """dask logs a lost connection as a traceback: silence it, and say the scheduler's
    failure as ``--scheduler ADDRESS: reason`` (the library names its parameter)."""
    if not dask:
        yield
        return
    import logging
    import shlex

    from .engine.dask_runner import SchedulerError

    disabled = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    except SchedulerError as error:
        raise _Refusal(f"--scheduler {shlex.quote(error.address)}: {error.reason}") from None
    finally:
        logging.disable(disabled)


def _validate(args: argparse.Namespace) -> int:
    """Refuses what ``run`` would refuse for the scenario, memory included: in memory, or
    in chunks of ``--chunk-draws`` (at most two chunks a CPU in flight)."""
    from .analysis.parallel import default_threads
    from .engine.limits import memory_estimate_bytes, memory_refusal

    scenario = _load(args)
    if args.chunk_draws is None:
        too_big = memory_refusal(
            scenario,
            scenario.draws,
            memory_estimate_bytes(scenario, scenario.draws),
            advice="validate and run it in chunks (--chunk-draws, e.g. --chunk-draws 1000000)",
        )
    else:
        chunk = min(args.chunk_draws, scenario.draws)
        in_flight = 2 * default_threads()
        too_big = memory_refusal(
            scenario,
            scenario.draws,
            in_flight * memory_estimate_bytes(scenario, chunk),
            what=f" in {in_flight} chunks of {chunk:,} at once",
            advice="use smaller chunks (--chunk-draws)",
        )
    if too_big is not None:
        raise too_big
    from .engine.memory import run

    # the run's draws through the chain (up to VALIDATE_PROBE_DRAWS): a value that overflows
    # float64 (a price of 1e305 times a count) is refused here as the run would refuse it
    draws, checked = _validate_draws(scenario), ""
    if draws < min(scenario.draws, VALIDATE_PROBE_DRAWS):
        checked = f" (checked its first {draws} draws: its scipy families are slow to draw)"
    ds = run(scenario, draws=draws, keep_uniforms=False)
    if scenario.progress is not None:  # the update on those draws: refused as run refuses it
        from .workflows.planning import update_forecast

        update_forecast(ds, scenario)
    uncertain = sum(not spec.dist.is_fixed for spec in scenario.inputs.values())
    print(
        f"ok: {args.config}: scenario {scenario.name!r}, {len(scenario.inputs)} inputs "
        f"resolved ({uncertain} uncertain); {scenario.draws:,} draws, method "
        f"{scenario.method}, seed {scenario.seed}{checked}"
    )
    return 0


def _validate_draws(scenario: Any) -> int:
    """How many of the run's draws validate pushes through the chain: all of them up to
    VALIDATE_PROBE_DRAWS, unless drawing them would take more than VALIDATE_SECONDS (a slow
    ``scipy.<name>`` family, timed as the load's warning times it): then the first 16."""
    from distributions.scipy_bridge import seconds_per_draw, uses_scipy_family

    draws = min(scenario.draws, VALIDATE_PROBE_DRAWS)
    slow = [s.dist for s in scenario.inputs.values() if not s.dist.is_fixed]
    per_draw_s = sum(seconds_per_draw(d)[0] for d in slow if uses_scipy_family(d))
    return draws if per_draw_s * draws <= VALIDATE_SECONDS else min(draws, 16)


def _show(args: argparse.Namespace) -> int:
    from .report.terminal import inputs_text

    print(inputs_text(_load(args)))
    return 0


def _catalog(args: argparse.Namespace) -> int:
    from .model.catalog import load_catalog
    from .report.terminal import catalog_text

    print(catalog_text(load_catalog()))
    return 0


def _compare(args: argparse.Namespace) -> int:
    """``compare``: :func:`simulate.workflows.compare.compare_report`."""
    from .report.progress import StageProgress
    from .report.terminal import compare_table
    from .workflows.compare import compare_folder_name, compare_report, load_compared

    scenarios = load_compared(
        args.configs, args.set, draws=args.draws, seed=args.seed, method=args.sampling
    )
    if len(scenarios) < 2:
        raise _Refusal(
            "compare: needs two or more scenarios (files, or [variants.NAME] in one file); "
            f"got {len(scenarios)}"
        )
    names = [scenario.name for scenario in scenarios]
    out_dir = _out_dir(args, Path("reports") / compare_folder_name(names))
    stages = [f"{name}: {stage}" for name in names for stage in ("sampling", "chain")]
    with StageProgress([*stages, "statistics", "plots", "writing"], enabled=not args.quiet) as bar:
        result = compare_report(
            scenarios, out=out_dir, force=args.force, plots=not args.no_plots, on_stage=bar.stage
        )
    if not args.quiet:
        print(compare_table(result.summary, result.out_dir, result.kept))
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from .report.calibration import backtest_terminal_lines
    from .report.folder import write_backtest_report
    from .report.units import format_number
    from .scenario.fields import safe_name
    from .scenario.priors import DEFAULT_PRIORS, load_priors
    from .workflows.backtest import DEFAULT_RUNS, backtest

    runs = Path(args.runs) if args.runs else DEFAULT_RUNS
    priors = load_priors(Path(args.priors) if args.priors else DEFAULT_PRIORS)
    out_dir = _out_dir(args, Path("reports") / safe_name(f"backtest-{runs.stem}"))
    result = backtest(runs, priors)
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
                format_number(p[0]),
                format_number(p[-1]),
                format_number(e["reported"]),
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
    for line in backtest_terminal_lines(result):
        print(line)
    if kept is not None:
        print(f"earlier report kept at {kept}")
    print(f"report: {out_dir}")
    return 0


def _solve(args: argparse.Namespace) -> int:
    """``solve``: :func:`simulate.workflows.solve.solve` and its report folder."""
    from .scenario.fields import safe_name
    from .workflows.solve import solve, solve_report

    scenario = _load(args)
    default = Path("reports") / safe_name(f"{scenario.name}-solve-{args.vary}")
    out_dir = _out_dir(args, default)
    result = solve(scenario, args.vary, args.target, value_range=args.value_range, step=args.step)
    written, kept = solve_report(result, out_dir, force=args.force, plots=not args.no_plots)
    if not args.quiet:
        print(result.attrs["statement"])
        print(f"{result.attrs['chain_evaluations']} chain evaluations on {scenario.draws:,} draws")
        if kept is not None:
            print(f"earlier report kept at {kept}")
        print(f"report: {written}")
    return 0


_HANDLERS = {
    "solve": _solve,
    "run": _run,
    "sensitivity": _run,
    "backtest": _backtest,
    "validate": _validate,
    "show": _show,
    "catalog": _catalog,
    "compare": _compare,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
        argv.insert(0, "run")  # ``python -m simulate [CONFIG] [options]`` runs
    args = _parser().parse_args(argv)
    from distributions import DistributionError

    from .engine.runners import ChunkError
    from .report.folders import ReportFolderError
    from .scenario.config import ConfigError

    try:
        with warnings.catch_warnings():
            if getattr(args, "quiet", False):  # "nothing but errors": no RuntimeWarning either
                warnings.simplefilter("ignore", RuntimeWarning)
            return _HANDLERS[args.command](args)
    except (ConfigError, DistributionError, ChunkError, ReportFolderError, _Refusal) as error:
        print(f"error: {_as_flags(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"error: cannot write the report: {error}", file=sys.stderr)
        return 1
