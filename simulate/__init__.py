"""What we do with the uncertain inputs: load a scenario, run the chain, analyse, report.

>>> import simulate
>>> scenario = simulate.load_scenario("configs/llama-3.1-405b.toml")
>>> ds = simulate.run(scenario)            # xarray.Dataset along "draw"

The public names are imported on first use (module ``__getattr__``, PEP 562), so that
``python -m simulate --help`` does not pay for numpy, scipy and xarray.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .chain import KEY_OUTPUTS, NODES, Node, evaluate
    from .chunked import run_chunked
    from .config import ConfigError, InputSpec, Scenario, load_scenario, scenario_from_dict
    from .engine import run
    from .report import build_summary, write_report

#: Public name -> the submodule that defines it.
_EXPORTS = {
    "KEY_OUTPUTS": "chain",
    "NODES": "chain",
    "Node": "chain",
    "evaluate": "chain",
    "ConfigError": "config",
    "InputSpec": "config",
    "Scenario": "config",
    "load_scenario": "config",
    "scenario_from_dict": "config",
    "run": "engine",
    "run_chunked": "chunked",
    "build_summary": "report",
    "write_report": "report",
}

__all__ = [
    "KEY_OUTPUTS",
    "NODES",
    "ConfigError",
    "InputSpec",
    "Node",
    "Scenario",
    "build_summary",
    "evaluate",
    "load_scenario",
    "run",
    "run_chunked",
    "scenario_from_dict",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
