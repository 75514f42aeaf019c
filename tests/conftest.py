"""Shared fixtures: scenario files written into tmp_path, the repository's configs."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed set of examples (reproducible, never flaky);
# developers' runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs"

MINIMAL = """
[scenario]
name = "minimal"
draws = 2000
seed = 1

[cluster]
accelerator = "H100-SXM"

[inputs]
n_params = 7e9
n_tokens = 1e12
n_gpus = 512
mfu = { dist = "pert", low = 0.3, mode = 0.4, high = 0.5 }
gpu_price_usd = 30000
overhead_capex_ratio = 0.5
power_overhead_factor = 1.5
electricity_usd_per_kwh = 0.08

[risk]
deadline_days = 30
budget_usd = 3e7
"""


@pytest.fixture
def write_config(tmp_path):
    """Write TOML text (dedented) to tmp_path/name and return its path."""

    def write(text: str = MINIMAL, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write
