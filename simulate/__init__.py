"""What we do with the uncertain inputs: load a scenario, run the chain, analyse, report.

>>> import simulate
>>> scenario = simulate.load_scenario("configs/llama-3.1-405b.toml")
>>> ds = simulate.run(scenario)            # xarray.Dataset along "draw"

Names are imported on first use (PEP 562 ``__getattr__``), so ``python -m simulate
--help`` starts without xarray, scipy or the plotting stack.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chain import KEY_OUTPUTS, NODES, Node, evaluate
    from .chunked import run_chunked
    from .config import ConfigError, InputSpec, Scenario, load_scenario, scenario_from_dict
    from .engine import run
    from .report import build_summary, write_report

#: Public name -> submodule that defines it.
_WHERE = {
    **dict.fromkeys(("KEY_OUTPUTS", "NODES", "Node", "evaluate"), "chain"),
    **dict.fromkeys(
        ("ConfigError", "InputSpec", "Scenario", "load_scenario", "scenario_from_dict"), "config"
    ),
    "run": "engine",
    "run_chunked": "chunked",
    **dict.fromkeys(("build_summary", "write_report"), "report"),
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
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
