"""What we do with the uncertain inputs: load a scenario, run the chain, analyse, report.

>>> import simulate
>>> scenario = simulate.load_scenario("configs/llama-3.1-405b.toml")
>>> ds = simulate.run(scenario)            # xarray.Dataset along "draw"
"""

from .chain import KEY_OUTPUTS, NODES, Node, evaluate
from .config import ConfigError, InputSpec, Scenario, load_scenario, scenario_from_dict
from .engine import run
from .report import build_summary, write_report

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
    "scenario_from_dict",
    "write_report",
]
