"""``report.html``: one self-contained page rendered from the summary and the PNG bytes.

Images are embedded as base64 ``data:image/png`` URIs and the style sheet is inline,
so the file opens anywhere with no network and no companion files. The page opens
with the answer (P50 and 90% interval of days and cost, the risk figures), then the
inputs with their sources, the method (each node's rule and source), the plots and
the risk drivers (what the misses of each risk target have in common), the plots, the
notes and the provenance. Every section is a ``<section id=...>`` (see :data:`SECTION_IDS`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape
from typing import Any

from ..model.chain import HEADLINE_OUTPUTS
from .compare import describe_difference, risk_rows
from .units import format_percent, format_quantity, risk_event

__all__ = ["SECTION_IDS", "render_compare_html", "render_html"]

#: The sections of a single-scenario page, in order (risk drivers only where the summary's
#: sensitivity section has them, notes only where the scenario has any).
SECTION_IDS = (
    "answer",
    "inputs",
    "outputs",
    "method",
    "risk_drivers",
    "plots",
    "notes",
    "provenance",
)
HEADLINE = HEADLINE_OUTPUTS

_STYLE = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #dde2ea;
        --accent: #0b6fb8; --card: #f4f7fb; --warn: #b5470b; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto,
       "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px;
     border-bottom: 2px solid var(--line); }
p.lede { color: var(--muted); margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
         gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
        padding: 16px 20px; }
.card .what { color: var(--muted); font-size: 13px; text-transform: uppercase;
              letter-spacing: .04em; }
.card .value { font-size: 30px; font-weight: 650; margin: 2px 0; }
.card .range { color: var(--muted); }
ul.risk { padding-left: 20px; }
ul.risk li { margin: 4px 0; }
ul.risk b { color: var(--warn); }
p.warn { color: var(--warn); }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 8px 0; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { background: var(--card); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td code, li code { font-size: 12.5px; }
td:first-child code { white-space: nowrap; overflow-wrap: normal; }
td:first-child { white-space: nowrap; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));
           gap: 20px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 10px;
         background: #fff; }
figure img { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dt { color: var(--muted); }
dd { margin: 0; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 40px; }
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _interval_keys(keys: list[str]) -> tuple[str, str, str]:
    """(low, high, label): P5-P95 as the 90% interval, else the outermost percentiles."""
    if "p5" in keys and "p95" in keys:
        return "p5", "p95", "90% interval"
    low, high = keys[0], keys[-1]
    return low, high, f"{low.upper()}-{high.upper()}"


def _answer(summary: Mapping[str, Any]) -> str:
    variables, keys = summary["variables"], list(summary["percentiles"])
    low, high, label = _interval_keys(keys)
    cards = []
    for name in HEADLINE:
        if name not in variables:
            continue
        v = variables[name]
        q = v["percentiles"]
        middle = format_quantity(q["p50"], v["units"]) if "p50" in q else "n/a"
        cards.append(
            f'<div class="card"><div class="what">{_e(name)} · P50</div>'
            f'<div class="value">{_e(middle)}</div>'
            f'<div class="range">{_e(label)}: {_e(format_quantity(q[low], v["units"]))} to '
            f"{_e(format_quantity(q[high], v['units']))}</div></div>"
        )
    risks = []
    for entry in summary.get("risk", {}).values():
        units = variables.get(entry["node"], {}).get("units", "")
        p, low, high = (
            format_percent(x, decimals=1) for x in (entry["probability"], *entry["ci95"])
        )
        event = risk_event(entry, format_quantity(entry["threshold"], units))
        risks.append(
            f"<li>{_e(event)} = <b>{p}</b> (95% CI {low} to {high};"
            f" {entry['draws_missing']:,} of {entry['draws']:,} draws)</li>"
        )
    risk_html = f'<ul class="risk">{"".join(risks)}</ul>' if risks else ""
    return (
        '<section id="answer"><h2>Answer</h2>'
        f'<div class="cards">{"".join(cards)}</div>{risk_html}</section>'
    )


def _inputs(summary: Mapping[str, Any]) -> str:
    rows = []
    for name, v in summary["variables"].items():
        if v["kind"] == "node":
            continue
        label = name if v["kind"] == "input" else f"{name} (pinned)"
        rows.append(
            f"<tr><td><code>{_e(label)}</code></td><td>{_e(v['units'])}</td>"
            f"<td><code>{_e(v.get('distribution', ''))}</code></td><td>{_e(v['source'])}</td></tr>"
        )
    return (
        '<section id="inputs"><h2>Inputs</h2><table><thead><tr><th>name</th><th>units</th>'
        "<th>value or distribution</th><th>source</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _outputs(summary: Mapping[str, Any]) -> str:
    keys = list(summary["percentiles"])
    head = "".join(f"<th>{_e(k.upper())}</th>" for k in keys)
    rows = []
    for name, v in summary["variables"].items():
        cells = "".join(
            f'<td class="num">{_e(format_quantity(v["percentiles"][k], v["units"]))}</td>'
            for k in keys
        )
        rows.append(
            f"<tr><td><code>{_e(name)}</code></td>{cells}"
            f'<td class="num">{_e(format_quantity(v["mean"], v["units"]))}</td></tr>'
        )
    return (
        '<section id="outputs"><h2>Every quantity</h2>'
        f"<table><thead><tr><th>name</th>{head}<th>mean</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _method(summary: Mapping[str, Any]) -> str:
    rows = [
        f"<tr><td><code>{_e(name)}</code></td><td>{_e(v['units'])}</td>"
        f"<td><code>{_e(v.get('formula', ''))}</code></td><td>{_e(v['source'])}</td></tr>"
        for name, v in summary["variables"].items()
        if v["kind"] == "node"
    ]
    prov = summary["provenance"]
    return (
        '<section id="method"><h2>Method</h2>'
        f"<p>Monte Carlo: {prov['draws']:,} draws of every uncertain input "
        f"(sampling design <code>{_e(prov['method'])}</code>, seed {_e(prov['seed'])}), "
        "each pushed through the chain below. Pinned nodes are given by the scenario and "
        "cut what is upstream of them.</p>"
        "<table><thead><tr><th>node</th><th>units</th><th>rule</th><th>source</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _g(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _interval(cell: Mapping[str, Any] | None) -> str:
    if cell is None:
        return "n/a"
    point = cell.get("value", cell.get("probability"))
    return f"{_g(point)} [{_g(cell.get('low'))}, {_g(cell.get('high'))}]"


def _risk_drivers(summary: Mapping[str, Any]) -> str:
    """Per risk target, its inputs ranked by the indicator index (or why none are)."""
    result = summary.get("sensitivity", {}).get("risk_drivers")
    if not result:
        return ""
    parts = [f"<p>{_e(result['reading'])}</p>"]
    head = (
        "<tr><th>rank</th><th>input</th><th>indicator index</th><th>KS distance (p)</th>"
        "<th>P(miss | bottom 10%)</th><th>P(miss | top 10%)</th>"
        "<th>|change| fixed at median</th></tr>"
    )
    for key, entry in result["outputs"].items():
        symbol = ">" if entry["direction"] == "above" else "<"
        parts.append(
            f"<h3><code>{_e(key)}</code>: P({_e(entry['node'])} {symbol} "
            f"{_e(_g(entry['threshold']))}) = {_e(_interval(entry['probability']))}</h3>"
        )
        if not entry["ranked"]:
            parts.append(f'<p class="warn">{_e(entry["message"])}</p>')
            continue
        rows = []
        for rank, row in enumerate(entry["inputs"], start=1):
            noise = " (within noise)" if row["within_noise"] else ""
            fixed = row.get("fixed_at_median", {}).get("change")
            rows.append(
                f"<tr><td>{rank}</td><td><code>{_e(row['input'])}</code>{noise}</td>"
                f'<td class="num">{_e(_interval(row["indicator_index"]))}</td>'
                f'<td class="num">{row["ks_distance"]:.3g} ({row["ks_p_value"]:.2g})</td>'
                f'<td class="num">{_e(_interval(row["p_miss_bottom_decile"]))}</td>'
                f'<td class="num">{_e(_interval(row["p_miss_top_decile"]))}</td>'
                f'<td class="num">{_e(_interval(fixed))}</td></tr>'
            )
        parts.append(f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")
    parts.append(f"<p>Within noise: {_e(result['noise'])}. Brackets: {_e(result['interval'])}.</p>")
    return f'<section id="risk_drivers"><h2>Risk drivers</h2>{"".join(parts)}</section>'


def _figures(images: Mapping[str, bytes], captions: Mapping[str, str]) -> str:
    items = []
    for name, png in images.items():
        text = captions.get(name, name)
        data = base64.b64encode(png).decode("ascii")
        items.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{_e(text)}" '
            f'data-name="{_e(name)}"><figcaption>{_e(text)}</figcaption></figure>'
        )
    body = "".join(items) if items else "<p>No plots in this report.</p>"
    return f'<section id="plots"><h2>Plots</h2><div class="figures">{body}</div></section>'


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{_e(note)}</li>" for note in notes)
    return f'<section id="notes"><h2>Notes</h2><ul>{items}</ul></section>'


def _provenance(prov: Mapping[str, Any]) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd><code>{_e(v)}</code></dd>" for k, v in prov.items())
    return f'<section id="provenance"><h2>Provenance</h2><dl>{items}</dl></section>'


def _page(title: str, lede: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><h1>{_e(title)}</h1><p class="lede">{lede}</p>{body}'
        "<footer>Generated by llm-cost-mc. Self-contained: no network, no external "
        "files.</footer></main></body></html>\n"
    )


def render_html(
    summary: Mapping[str, Any],
    images: Mapping[str, bytes] | None = None,
    *,
    captions: Mapping[str, str] | None = None,
) -> str:
    """The page for one scenario; ``images`` are PNG bytes by file name, in display order."""
    prov = summary["provenance"]
    lede = (
        f"Scenario <code>{_e(prov['scenario'])}</code> from <code>{_e(prov['config_path'])}"
        f"</code>: {prov['draws']:,} Monte Carlo draws."
    )
    body = "".join(
        (
            _answer(summary),
            _inputs(summary),
            _outputs(summary),
            _method(summary),
            _risk_drivers(summary),
            _figures(images or {}, captions or {}),
            _notes(list(summary.get("notes", []))),
            _provenance(prov),
        )
    )
    return _page(f"Training cost and duration: {prov['scenario']}", lede, body)


def render_compare_html(
    summary: Mapping[str, Any],
    images: Mapping[str, bytes] | None = None,
    *,
    captions: Mapping[str, str] | None = None,
) -> str:
    """The page comparing scenarios (the compare summary: ``common`` and ``scenarios``)."""
    scenarios = summary["scenarios"]
    names = list(scenarios)
    common = summary["common"]
    rows = []
    for name in HEADLINE:
        for key in next(iter(scenarios.values()))["percentiles"]:  # the common percentiles
            cells = []
            for scenario in scenarios.values():
                v = scenario["variables"].get(name)
                value = v["percentiles"].get(key) if v else None
                text = format_quantity(value, v["units"]) if value is not None else "n/a"
                cells.append(f'<td class="num">{_e(text)}</td>')
            rows.append(f"<tr><td><code>{_e(name)}</code> {key.upper()}</td>{''.join(cells)}</tr>")
    for event, probabilities in risk_rows(scenarios):
        cells = "".join(
            '<td class="num">' + ("n/a" if p is None else format_percent(p, decimals=1)) + "</td>"
            for p in probabilities
        )
        rows.append(f"<tr><td>{_e(event)}</td>{cells}</tr>")
    head = "".join(f"<th>{_e(n)}</th>" for n in names)
    table = (
        f"<table><thead><tr><th>figure</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table>"
    )
    differences = []
    for name, entry in summary.get("differences", {}).items():
        for output, d in entry.items():
            units = scenarios[name]["variables"][output]["units"]
            differences.append(
                f"<li><code>{_e(name)}</code> − <code>{_e(summary['baseline'])}</code>, "
                f"{_e(output)}: {_e(describe_difference(d, units))}</li>"
            )
    diff_html = f"<h3>Paired differences</h3><ul>{''.join(differences)}</ul>" if differences else ""
    lede = (
        f"{len(names)} scenarios with common random numbers: seed {_e(common['seed'])}, "
        f"{common['draws']:,} draws, method <code>{_e(common['method'])}</code>."
    )
    sources = "".join(
        f"<dt>{_e(n)}</dt><dd><code>{_e(s['provenance']['config_path'])}</code> "
        f"(hash <code>{_e(s['provenance']['config_hash'][:16])}</code>)</dd>"
        for n, s in scenarios.items()
    )
    body = (
        f'<section id="answer"><h2>Side by side</h2>{table}{diff_html}</section>'
        + _figures(images or {}, captions or {})
        + f'<section id="provenance"><h2>Provenance</h2><dl>{sources}</dl></section>'
    )
    return _page(f"Comparison: {' vs '.join(names)}", lede, body)
