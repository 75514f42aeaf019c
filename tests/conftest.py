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


def scipy_mid_cdf(dist, x):
    """(F(x⁻) + F(x)) / 2 from scipy's cdf of ``dist`` (a mixture: its components' cdfs
    weighted, in the test), the independent reference for an input's mid-CDF rank."""
    import numpy as np  # noqa: PLC0415

    x = np.asarray(x, dtype=float)
    if type(dist).__name__ == "Mixture":
        weights = np.asarray(dist.weights, dtype=float) / np.sum(dist.weights)
        return sum(w * scipy_mid_cdf(c, x) for w, c in zip(weights, dist.components, strict=True))
    frozen = dist.to_scipy()
    return 0.5 * (frozen.cdf(np.nextafter(x, -np.inf)) + frozen.cdf(x))


def mid_cdf_rho_reference(dist, x, y):
    """The reported Spearman rho's independent reference (issue 16 §1): Pearson
    correlation of the input's mid-CDF ``scipy_mid_cdf(dist, x)`` with
    ``scipy.stats.rankdata(y)`` (the output's average ranks), by ``np.corrcoef``."""
    import numpy as np  # noqa: PLC0415
    from scipy import stats  # noqa: PLC0415

    return float(np.corrcoef(scipy_mid_cdf(dist, x), stats.rankdata(y))[0, 1])
