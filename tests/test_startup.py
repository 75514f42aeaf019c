"""``python -m simulate --help`` imports neither numpy, scipy, xarray nor the plotting
stack; a command that draws nothing imports no plotting stack."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "scipy", "xarray", "matplotlib", "seaborn", "pandas", "dask", "rich")


def test_help_imports_nothing_heavy():
    program = (
        "import sys\n"
        "from simulate.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True
    )
    assert "usage: python -m simulate" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_lazy_package_still_exports_its_names():
    import simulate

    assert callable(simulate.run) and callable(simulate.run_chunked)
    assert set(simulate.__all__) <= set(dir(simulate)) | set(simulate._EXPORTS)


def test_distributions_lazy_names_are_all_exported():
    import distributions

    assert set(distributions.__all__) == set(distributions._WHERE)
    for name in distributions.__all__:
        assert getattr(distributions, name) is not None


@pytest.mark.parametrize(
    "argv",
    [
        [
            "run",
            "benchmarks/job.toml",
            "--draws",
            "2000",
            "--no-plots",
            "--quiet",
            "--out",
            "{out}",
        ],
        [
            "solve",
            "benchmarks/job.toml",
            "--draws",
            "2000",
            "--vary",
            "n_gpus",
            "--target",
            "P(train_days <= 400) >= 0.5",
            "--no-plots",
            "--quiet",
            "--out",
            "{out}",
        ],
        ["validate", "configs/llama-3.1-405b.toml"],
        ["show", "configs/llama-3.1-405b.toml"],
    ],
    ids=["run", "solve", "validate", "show"],
)
def test_commands_without_plots_import_no_plotting_stack(argv, tmp_path):
    """Without plots, neither matplotlib nor seaborn is imported (about 0.8 s of start-up
    here): only the code that draws imports them."""
    argv = [a.replace("{out}", str(tmp_path / "r")) for a in argv]
    program = (
        "import sys\n"
        "from simulate.cli import main\n"
        f"code = main({argv!r})\n"
        "print(code, sorted(m for m in ('matplotlib', 'seaborn') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.stdout.strip().splitlines()[-1] in ("0 []", "None []"), done.stderr[-2000:]
