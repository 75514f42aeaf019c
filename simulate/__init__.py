"""What we do with the uncertain inputs: load a scenario, run the chain, analyse, report.

>>> import simulate
>>> scenario = simulate.load_scenario("configs/llama-3.1-405b.toml")
>>> ds = simulate.run(scenario)            # xarray.Dataset along "draw"
>>> result = simulate.run_report(scenario, out="reports/mine")  # what `run` writes

The public names are imported on first use (module ``__getattr__``, PEP 562), so that
``python -m simulate --help`` does not pay for numpy, scipy and xarray.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .analysis.decision import decision_table
    from .engine.chunked import run_chunked
    from .engine.memory import run
    from .model.chain import KEY_OUTPUTS, NODES, Node, evaluate
    from .report.folder import write_report
    from .report.summary import build_summary
    from .scenario.config import ConfigError, InputSpec, Scenario, load_scenario, scenario_from_dict
    from .workflows.compare import compare_report
    from .workflows.planning import update_forecast
    from .workflows.run_report import run_report
    from .workflows.solve import solve
    from .workflows.sweep import sweep

#: Public name -> the submodule that defines it.
_EXPORTS = {
    "KEY_OUTPUTS": "model.chain",
    "NODES": "model.chain",
    "Node": "model.chain",
    "evaluate": "model.chain",
    "ConfigError": "scenario.config",
    "InputSpec": "scenario.config",
    "Scenario": "scenario.config",
    "load_scenario": "scenario.config",
    "scenario_from_dict": "scenario.config",
    "run": "engine.memory",
    "run_chunked": "engine.chunked",
    "build_summary": "report.summary",
    "run_report": "workflows.run_report",
    "compare_report": "workflows.compare",
    "write_report": "report.folder",
    "decision_table": "analysis.decision",
    "update_forecast": "workflows.planning",
    "solve": "workflows.solve",
    "sweep": "workflows.sweep",
}

__all__ = [
    "KEY_OUTPUTS",
    "NODES",
    "ConfigError",
    "InputSpec",
    "Node",
    "Scenario",
    "build_summary",
    "compare_report",
    "decision_table",
    "evaluate",
    "load_scenario",
    "run",
    "run_chunked",
    "run_report",
    "scenario_from_dict",
    "update_forecast",
    "solve",
    "sweep",
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
