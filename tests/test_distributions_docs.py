"""Every TOML example in docs/distributions.md parses (the documentation stays true)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from distributions import as_correlations, parse

DOC = Path(__file__).resolve().parents[1] / "docs" / "distributions.md"
BLOCKS = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_documented_example_parses(block: str, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "runs.csv").write_text("run,mfu\na,0.38\nb,0.43\n", encoding="utf-8")
    table = tomllib.loads(block)
    if "correlations" in table:
        assert as_correlations(table["correlations"]).pairs()
        return
    inputs = table.get("inputs", table)
    assert inputs
    for name, value in inputs.items():
        spec = parse(value, base_dir=tmp_path)
        assert spec.describe(), name


def test_documented_pert_alt_form() -> None:
    spec = parse({"dist": "pert", "p10": 2, "mode": 5, "p90": 7})
    assert (round(spec.low, 6), round(spec.high, 6)) == (-1.294743, 8.747059)
