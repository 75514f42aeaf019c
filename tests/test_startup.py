"""``python -m simulate --help`` imports neither scipy, xarray nor the plotting stack."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("scipy", "xarray", "matplotlib", "seaborn", "pandas", "dask")


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
