"""``report.html``: one self-contained page rendered from the summary, the PNG bytes and the
headline nodes' distribution grids.

The page carries everything report.md carries, in the same order
(:data:`simulate.report.outline.REPORT_SECTIONS`, one list for both files): the answer, the
risk targets, sliders to explore them, the cost views, the published values, the inputs with
their sources, every quantity, the method, the correlations requested and achieved, the
sensitivity (rankings as charts with their intervals; the tables in ``<details>``), the
convergence of a ``--precision`` run, the notes, the plots and the provenance (with every
``--set`` override, also under the title). Every section is a ``<section id=...>``.

Self-contained: images are base64 ``data:image/png`` URIs, the style sheet, the charts (SVG)
and the script are inline; no network, no companion files. The script reads the grids
(:mod:`simulate.report.explore`) embedded as JSON and computes P(exceed) and its Wilson 95%
interval for the slider's threshold.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ..analysis.sensitivity import markdown_section
from ..model.chain import HEADLINE_OUTPUTS
from .answer import risk_lines
from .compare import describe_difference, risk_rows
from .explore import grid_step, grids_json
from .outline import REPORT_SECTIONS
from .units import format_number, format_percent, format_quantity, scale_for

__all__ = ["SECTION_IDS", "render_compare_html", "render_html", "render_markdown_html"]

#: The ids of a single-scenario page's sections, in order; each is left out where the run
#: has nothing for it (see :mod:`simulate.report.outline`).
SECTION_IDS = tuple(s.id for s in REPORT_SECTIONS if s.id != "extra")
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
p.overrides { margin: -12px 0 20px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr));
          gap: 12px; }
details { margin: 8px 0 16px; }
details > summary { cursor: pointer; color: var(--accent); }
svg.chart { width: 100%; max-width: 760px; height: auto; display: block; margin: 6px 0; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--ink); }
.explorer { border: 1px solid var(--line); border-radius: 10px; padding: 12px 18px;
            margin: 12px 0; background: var(--card); }
.explorer h3 { margin: 4px 0 8px; font-size: 16px; }
.explorer .controls { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
.explorer input[type=range] { flex: 1 1 320px; }
.explorer input[type=number] { width: 9em; }
.explorer .reading { font-size: 16px; margin: 8px 0 4px; }
.explorer svg { background: #fff; border: 1px solid var(--line); border-radius: 6px; }
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _interval_keys(keys: list[str]) -> tuple[str, str, str]:
    """(low, high, label): P5-P95 as the 90% interval, else the outermost percentiles."""
    if "p5" in keys and "p95" in keys:
        return "p5", "p95", "90% interval"
    low, high = keys[0], keys[-1]
    return low, high, f"{low.upper()}-{high.upper()}"


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{_e(sid)}"><h2>{_e(title)}</h2>{body}</section>'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """An HTML table; ``head`` is plain text, ``rows`` hold HTML cells; ``numeric`` columns
    are right-aligned."""
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _answer(summary: Mapping[str, Any]) -> str:
    """A card per answer row (:func:`simulate.report.answer.answer_rows`: the per-run costs
    side by side, then days and GPU-hours): P50, the outer percentiles, what it is."""
    keys = list(summary["percentiles"])
    low, high, label = _interval_keys(keys)
    cards = []
    for row in summary.get("answer", []):
        q, units = row["percentiles"], row["units"]
        middle = format_quantity(q["p50"], units) if q.get("p50") is not None else "n/a"
        cards.append(
            f'<div class="card"><div class="what">{_e(row["label"])} · P50</div>'
            f'<div class="value">{_e(middle)}</div>'
            f'<div class="range">{_e(label)}: {_e(format_quantity(q[low], units))} to '
            f"{_e(format_quantity(q[high], units))}</div>"
            f'<div class="what">{_e(row["node"])}: {_e(row["definition"])}</div></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _risk(summary: Mapping[str, Any]) -> str:
    """Every risk target's line (:func:`simulate.report.answer.risk_line`): an estimate with
    its interval and counts, or "impossible"/"certain under these priors"."""
    risks = [f"<li>{_e(line)}</li>" for line in risk_lines(summary)]
    return f'<ul class="risk">{"".join(risks)}</ul>' if risks else ""


def _views(summary: Mapping[str, Any]) -> str:
    views, keys = summary.get("views", {}), list(summary["percentiles"])
    if not views:
        return ""
    rows = []
    for view, entry in views.items():
        for name, v in entry["nodes"].items():
            label = f"<b>{_e(name)}</b>" if name == entry["total"] else _e(name)
            cells = [_e(format_quantity(v["percentiles"][k], v["units"])) for k in keys]
            rows.append([_e(view), label, *cells, _e(format_quantity(v["mean"], v["units"]))])
    numeric = range(2, len(keys) + 3)
    return (
        "<p>The same run charged several ways: the article's total cost of ownership (the "
        "whole cluster's purchase), Epoch AI's amortized capital + energy, cloud rental, and "
        "emissions. The total of each view is in bold.</p>"
        + _table(["view", "node", *(k.upper() for k in keys), "mean"], rows, numeric)
    )


def _compare_to(summary: Mapping[str, Any]) -> str:
    entries = summary.get("compare_to", [])
    if not entries:
        return ""
    rows = []
    for e in entries:
        if "percentile_rank" not in e:
            rows.append(
                [f"<code>{_e(e['node'])}</code>", _e(format_number(e["value"])), "", "",
                 _e(e["status"]), "", _e(e["source"])]
            )  # fmt: skip
            continue
        low_q, high_q = e["interval_percentiles"]
        low, high = (format_quantity(x, e["units"]) for x in e["interval"])
        rows.append(
            [
                f"<code>{_e(e['node'])}</code>",
                _e(format_quantity(e["value"], e["units"])),
                _e(e["units"]),
                f"{e['percentile_rank']:.1f}",
                _e(f"P{low_q:g}-P{high_q:g}: {low} to {high}"),
                "yes" if e["covered"] else "<b>no</b>",
                _e(e["source"]),
            ]
        )
    head = ["node", "published", "units", "percentile rank", "interval", "covered", "source"]
    return _table(head, rows, numeric=(1, 3))


def _inputs(summary: Mapping[str, Any]) -> str:
    rows = []
    for name, v in summary["variables"].items():
        if v["kind"] == "node":
            continue
        label = name if v["kind"] == "input" else f"{name} (pinned)"
        rows.append(
            [f"<code>{_e(label)}</code>", _e(v["units"]),
             f"<code>{_e(v.get('distribution', ''))}</code>", _e(v["source"])]
        )  # fmt: skip
    return _table(["name", "units", "value or distribution", "source"], rows)


def _outputs(summary: Mapping[str, Any]) -> str:
    keys = list(summary["percentiles"])
    rows = [
        [
            f"<code>{_e(name)}</code>",
            *(_e(format_quantity(v["percentiles"][k], v["units"])) for k in keys),
            _e(format_quantity(v["mean"], v["units"])),
        ]
        for name, v in summary["variables"].items()
    ]
    return _table(["name", *(k.upper() for k in keys), "mean"], rows, range(1, len(keys) + 2))


def _method(summary: Mapping[str, Any]) -> str:
    rows = [
        [f"<code>{_e(name)}</code>", _e(v["units"]), f"<code>{_e(v.get('formula', ''))}</code>",
         _e(v["source"])]
        for name, v in summary["variables"].items()
        if v["kind"] == "node"
    ]  # fmt: skip
    prov = summary["provenance"]
    return (
        f"<p>Monte Carlo: {prov['draws']:,} draws of every uncertain input "
        f"(sampling design <code>{_e(prov['method'])}</code>, seed {_e(prov['seed'])}), "
        "each pushed through the chain below. Pinned nodes are given by the scenario and "
        "cut what is upstream of them.</p>" + _table(["node", "units", "rule", "source"], rows)
    )


def _correlations(summary: Mapping[str, Any]) -> str:
    rows = [
        [f"<code>{_e(a)}</code> · <code>{_e(b)}</code>", f"{row['requested']:.3f}",
         "n/a" if row["achieved"] is None else f"{row['achieved']:.3f}"]
        for row in summary["correlations"]
        for a, b in [row["inputs"]]
    ]  # fmt: skip
    return (
        "<p>Spearman rank correlations, applied through a Gaussian copula on the sampling "
        "design; achieved: measured on the draws.</p>"
        + _table(["inputs", "requested", "achieved"], rows, numeric=(1, 2))
    )


#: Per analysis of the sensitivity section: the column its chart shows.
_CHART_METRIC = {
    "rank_correlation": ("spearman", "Spearman ρ"),
    "log_variance": ("share", "share of Var(log output)"),
    "tornado": ("swing", "swing (P10 to P90)"),
    "risk_drivers": ("indicator_index", "indicator index"),
    "sobol": ("total_order", "total Sobol' index S_Ti"),
    "sobol_log": ("total_order", "total Sobol' index of log(output)"),
    "shapley": ("shapley", "Shapley effect (share)"),
}
_CHART_ROWS = 10


def _point(cell: Any) -> tuple[float | None, float | None, float | None]:
    """(value, low, high) of a ranking cell: a number or ``{"value"|"probability", ...}``."""
    if isinstance(cell, Mapping):
        value = cell.get("value", cell.get("probability"))
        return value, cell.get("low"), cell.get("high")
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell), None, None
    return None, None, None


def _noise(value: float, low: float | None, high: float | None) -> bool:
    """Indistinguishable from zero: the interval reaches 0, or the value is 0 without one."""
    if low is None or high is None:
        return value == 0
    return low <= 0 <= high


def ranking_chart(rows: Sequence[Mapping[str, Any]], metric: str, label: str) -> str:
    """An inline SVG bar chart of ``metric`` per input (at most 10 rows, in ranking order),
    each bar with its interval as a whisker where the cell has one; inputs indistinguishable
    from zero (:func:`_noise`) are named in one line below the chart instead of drawn."""
    cells = [(row["input"], *_point(row.get(metric))) for row in rows]
    cells = [c for c in cells if c[1] is not None]
    points = [c for c in cells if not _noise(*c[1:])][:_CHART_ROWS]
    noise = [c[0] for c in cells if _noise(*c[1:])]
    below = (
        f"<figcaption>Indistinguishable from 0: {_e(', '.join(noise))}.</figcaption>"
        if noise
        else ""
    )
    if not points:
        return below
    ends = [x for _, v, lo, hi in points for x in (v, lo, hi) if x is not None]
    left, right = min(0.0, *ends), max(0.0, *ends)
    if right == left:
        right = left + 1.0
    name_w, width, bar_h, top = 160, 600, 20, 22
    plot_w = width - name_w - 160

    def x(value: float) -> float:
        return name_w + (value - left) / (right - left) * plot_w

    height = top + bar_h * len(points) + 24
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(label)}"><text x="{name_w}" y="14">{_e(label)}</text>',
        f'<line x1="{x(0):.1f}" y1="{top - 4}" x2="{x(0):.1f}" y2="{height - 20}" '
        'stroke="#5b6475"/>',
    ]
    for i, (name, value, low, high) in enumerate(points):
        y = top + i * bar_h
        a, b = sorted((x(0), x(value)))
        parts.append(
            f'<text x="{name_w - 6}" y="{y + 14}" text-anchor="end">{_e(name)}</text>'
            f'<rect x="{a:.1f}" y="{y + 3}" width="{max(b - a, 0.5):.1f}" height="{bar_h - 6}" '
            'fill="#0b6fb8" fill-opacity="0.75"/>'
        )
        if low is not None and high is not None:
            parts.append(
                f'<line class="interval" x1="{x(low):.1f}" y1="{y + bar_h / 2}" '
                f'x2="{x(high):.1f}" y2="{y + bar_h / 2}" stroke="#1d2330" stroke-width="1.5"/>'
                f'<line x1="{x(low):.1f}" y1="{y + 5}" x2="{x(low):.1f}" y2="{y + bar_h - 5}" '
                'stroke="#1d2330"/>'
                f'<line x1="{x(high):.1f}" y1="{y + 5}" x2="{x(high):.1f}" '
                f'y2="{y + bar_h - 5}" stroke="#1d2330"/>'
            )
        shown = value if low is None else f"{value:.3g} [{low:.3g}, {high:.3g}]"
        parts.append(
            f'<text x="{width - 4}" y="{y + 14}" text-anchor="end">'
            f"{_e(shown if isinstance(shown, str) else f'{shown:.3g}')}</text>"
        )
    parts.append(
        f'<text x="{x(left):.1f}" y="{height - 6}">{left:.3g}</text>'
        f'<text x="{x(right):.1f}" y="{height - 6}" text-anchor="end">{right:.3g}</text></svg>'
    )
    return "".join(parts) + below


def _sensitivity(summary: Mapping[str, Any]) -> str:
    section = summary["sensitivity"]
    charts = []
    for key, (metric, label) in _CHART_METRIC.items():
        result = section.get(key)
        if not isinstance(result, Mapping) or "outputs" not in result:
            continue
        for output, cell in result["outputs"].items():
            chart = ranking_chart(cell.get("inputs", []), metric, f"{output}: {label}")
            if chart:
                charts.append(f'<figure class="ranking" data-analysis="{_e(key)}">{chart}</figure>')
    tables = markdown_block(markdown_section(section, limit=10))
    return (
        "<p>Which inputs move each output: one chart per analysis and output (bars: the "
        "estimate; whiskers: its 95% interval where it has one), the full tables below.</p>"
        + f'<div class="charts">{"".join(charts)}</div>'
        + f"<details><summary>Ranking tables</summary>{tables}</details>"
    )


def _convergence(summary: Mapping[str, Any]) -> str:
    conv = summary["convergence"]
    state = "reached" if conv["converged"] else '<b class="warn">NOT reached (cap hit)</b>'
    return (
        f"<p>Precision {conv['precision']:g} {state} after {conv['n_draws']:,} draws "
        f"in {conv['batches']} batches.</p>"
    )


_INLINE = re.compile(r"\*\*(.+?)\*\*|\*(.+?)\*|`(.+?)`")


def _inline(text: str) -> str:
    """Markdown emphasis and code spans of one table cell or line, as escaped HTML."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(_e(text[pos : m.start()]))
        strong, em, code = m.groups()
        if strong is not None:
            out.append(f"<strong>{_e(strong)}</strong>")
        elif em is not None:
            out.append(f"<em>{_e(em)}</em>")
        else:
            out.append(f"<code>{_e(code)}</code>")
        pos = m.end()
    out.append(_e(text[pos:]))
    return "".join(out)


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a literal bar)."""
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|") if line.strip() != "|" else "")
    return [c.strip().replace("\\|", "|") for c in cells]


def markdown_block(text: str) -> str:
    """The Markdown our report writers emit (``####`` headings, paragraphs, pipe tables), as
    HTML: one renderer for text both files share (the sensitivity section)."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            head, rule, body = _cells(block[0]), _cells(block[1]), block[2:]
            numeric = [j for j, r in enumerate(rule) if r.endswith(":")]
            rows = [[_inline(c) for c in _cells(row)] for row in body]
            out.append(_table([re.sub(r"[*`]", "", h) for h in head], rows, numeric))
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            level = min(len(heading[1]), 6)
            out.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        i += 1
    return "".join(out)


def _notes(summary: Mapping[str, Any]) -> str:
    notes = list(summary.get("notes", []))
    return f"<ul>{''.join(f'<li>{_e(note)}</li>' for note in notes)}</ul>" if notes else ""


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


def _overrides(summary: Mapping[str, Any]) -> str:
    """The ``--set`` overrides of the run, as one line ('' when none)."""
    items = summary.get("overrides", [])
    if not items:
        return ""
    text = ", ".join(f"<code>{_e(o['field'])}={_e(o['value'])}</code>" for o in items)
    return f'<p class="overrides">Overrides (<code>--set</code>): {text}</p>'


def _provenance(summary: Mapping[str, Any]) -> str:
    prov = summary["provenance"]
    items = "".join(f"<dt>{_e(k)}</dt><dd><code>{_e(v)}</code></dd>" for k, v in prov.items())
    overrides = summary.get("overrides", [])
    if overrides:
        text = ", ".join(f"<code>{_e(o['field'])}={_e(o['value'])}</code>" for o in overrides)
        items += f"<dt>overrides (--set)</dt><dd>{text}</dd>"
    return f"<dl>{items}</dl>"


def _page(title: str, lede: str, body: str, *, script: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><h1>{_e(title)}</h1><p class="lede">{lede}</p>{body}'
        "<footer>Generated by llm-cost-mc. Self-contained: no network, no external "
        f"files.</footer></main>{script}</body></html>\n"
    )


def _explorer(
    key: str, node: str, direction: str, label: str, threshold: float | None, summary: Mapping
) -> str:
    """One slider panel: ``node``'s probability beyond a threshold, starting at ``threshold``
    (the target's) or the node's P50."""
    v = summary["variables"][node]
    scale = scale_for(v["units"], [x for x in v["percentiles"].values() if x is not None])
    sci = v["units"] in ("FLOP", "FLOP/s")
    start = threshold if threshold is not None else v["percentiles"].get("p50", v["mean"])
    symbol = ">" if direction == "above" else "<"
    return (
        f'<div class="explorer" data-key="{_e(key)}" data-node="{_e(node)}" '
        f'data-direction="{_e(direction)}" data-start="{start!r}" '
        f'data-factor="{scale.factor!r}" data-short="{_e(scale.short)}" '
        f'data-units="{_e(v["units"])}" data-sci="{int(sci)}">'
        f"<h3>P({_e(node)} {symbol} {_e(label)})</h3>"
        '<div class="controls"><input type="range" class="slider" min="0" step="1" '
        f'aria-label="{_e(label)} for {_e(node)}">'
        f'<label>{_e(label)} <input type="number" class="threshold" step="any" '
        f'aria-label="{_e(label)} in {_e(scale.short or v["units"])}"> '
        f"{_e(scale.short or v['units'])}</label>"
        '<button type="button" class="reset">back to the scenario\'s value</button></div>'
        f'<p class="reading">P({_e(node)} {symbol} <b class="t"></b>) = <b class="p"></b> '
        '(95% interval <span class="ci"></span>; <span class="k"></span>)</p>'
        '<svg class="chart curve" viewBox="0 0 720 230" role="img" '
        f'aria-label="P({_e(node)} {symbol} x) against x"></svg></div>'
    )


def _explore(summary: Mapping[str, Any], grids: Mapping[str, Any]) -> str:
    """The slider panels: one per risk target, then one per headline node without a target."""
    if not grids:
        return ""
    panels, steps, covered = [], [], set()
    for key, entry in summary.get("risk", {}).items():
        if entry["node"] not in grids:
            continue
        covered.add(entry["node"])
        panels.append(
            _explorer(key, entry["node"], entry["direction"], entry["label"],
                      entry["threshold"], summary)
        )  # fmt: skip
        steps.append(grid_step(grids[entry["node"]], entry["direction"]))
    for node in HEADLINE:
        if node in grids and node not in covered:
            panels.append(_explorer(node, node, "above", "threshold", None, summary))
            steps.append(grid_step(grids[node], "above"))
    n = next(iter(grids.values()))["n"]
    return (
        "<p>Move a slider (or type a value) to see the probability of landing beyond that "
        f"threshold. The page counts the {n:,} draws of this run on a grid of thresholds "
        "stored in it: at every slider position the probability is the exact fraction of "
        "draws beyond the threshold shown (the estimator summary.json uses, not an "
        "interpolation), with Wilson's 95% score interval as in summary.json. A threshold "
        "between two neighbouring positions would change the probability by at most "
        f"{format_percent(max(steps, default=0.0), decimals=3)}. The curves show the same "
        "counts; the dot marks the slider. Typed values snap to the nearest grid "
        "threshold; the scenario's own thresholds are on the grid.</p>" + "".join(panels)
    )


#: The page's script: reads the grids (``#distributions``) and drives each ``.explorer``.
#: Wilson's interval with the arithmetic of scipy's ``_binom_wilson_conf_int`` (no
#: continuity correction), z = ndtri(0.975).
_SCRIPT = r"""
(function () {
  "use strict";
  var grids = JSON.parse(document.getElementById("distributions").textContent);
  var Z = 1.959963984540054, SVG = "http://www.w3.org/2000/svg";
  function wilson(k, n) {
    var p = k / n, q = 1 - p, denom = 2 * (n + Z * Z);
    var center = (2 * n * p + Z * Z) / denom;
    var delta = Z / denom * Math.sqrt(4 * n * p * q + Z * Z);
    return [k === 0 ? 0 : center - delta, k === n ? 1 : center + delta];
  }
  function percent(p) {
    var d = 2, s = (100 * p).toFixed(d);
    while (d < 12 && ((p > 0 && Number(s) === 0) || (p < 1 && Number(s) === 100))) {
      d += 1; s = (100 * p).toFixed(d);
    }
    return s + "%";
  }
  // P and its interval as report.md and the terminal print them (units.format_probability):
  // decimals enough to show the interval's width and each bound's distance from 0% and
  // 100% to two significant digits, bounds rounded outward; for none or all of the draws,
  // the one-sided bound at one significant digit, rounded away from the estimate.
  function shown(k, n, ci) {
    if (k === 0 || k === n) {
      var x = 100 * (k === 0 ? ci[1] : 1 - ci[0]), e = Math.floor(Math.log10(x));
      var r = Math.ceil(x / Math.pow(10, e)) * Math.pow(10, e), d0 = Math.max(0, -e);
      return k === 0 ? ["0%", "0%", (r).toFixed(d0) + "%"] :
        ["100%", (100 - r).toFixed(d0) + "%", "100%"];
    }
    var lo = 100 * ci[0], hi = 100 * ci[1];
    var gap = Math.min.apply(null, [lo, hi - lo, 100 - hi].filter(function (g) { return g > 0; }));
    var d = Math.min(15, Math.max(0, 1 - Math.floor(Math.log10(gap)))), f = Math.pow(10, d);
    return [(100 * k / n).toFixed(d) + "%", (Math.floor(lo * f) / f).toFixed(d) + "%",
            (Math.ceil(hi * f) / f).toFixed(d) + "%"];
  }
  function quantity(x, el, digits) {
    var short = el.dataset.short, s;
    if (el.dataset.sci === "1" && Math.abs(x) >= 1e6) {
      return x.toExponential(4) + " " + el.dataset.units;
    }
    var shown = {maximumSignificantDigits: digits || 5};
    s = (x / Number(el.dataset.factor)).toLocaleString("en-US", shown);
    return short === "$" ? "$" + s : (s + " " + short).trim();
  }
  function nearest(xs, t) {
    var lo = 0, hi = xs.length - 1;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (xs[mid] < t) lo = mid + 1; else hi = mid; }
    if (lo > 0 && Math.abs(xs[lo - 1] - t) <= Math.abs(xs[lo] - t)) lo -= 1;
    return lo;
  }
  function node(tag, attrs, parent, text) {
    var e = document.createElementNS(SVG, tag);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e); return e;
  }
  function setup(el) {
    var g = grids[el.dataset.node], n = g.n, above = el.dataset.direction === "above";
    var counts = above ? g.gt : g.lt, xs = g.x;
    var slider = el.querySelector(".slider"), box = el.querySelector(".threshold");
    var start = nearest(xs, Number(el.dataset.start));
    slider.max = xs.length - 1;
    var lo = xs[0], hi = xs[xs.length - 1];
    for (var i = 0; i < xs.length; i++) { if (g.lt[i] >= 0.001 * n) { lo = xs[i]; break; } }
    for (var j = xs.length - 1; j >= 0; j--) { if (g.gt[j] >= 0.001 * n) { hi = xs[j]; break; } }
    lo = Math.min(lo, xs[start]); hi = Math.max(hi, xs[start]);
    if (hi <= lo) { hi = lo + Math.max(Math.abs(lo) * 0.01, 1e-9); }
    var svg = el.querySelector("svg.curve"), L = 64, R = 700, T = 12, B = 196;
    function sx(x) { return L + (Math.min(Math.max(x, lo), hi) - lo) / (hi - lo) * (R - L); }
    function sy(p) { return B - p * (B - T); }
    node("line", {x1: L, y1: B, x2: R, y2: B, stroke: "#5b6475"}, svg);
    node("line", {x1: L, y1: T, x2: L, y2: B, stroke: "#5b6475"}, svg);
    [0, 0.5, 1].forEach(function (p) {
      node("text", {x: L - 6, y: sy(p) + 4, "text-anchor": "end"}, svg,
           percent(p).replace(".00", ""));
    });
    for (var t = 0; t <= 4; t++) {
      var xv = lo + (hi - lo) * t / 4;
      var anchor = t === 0 ? "start" : t === 4 ? "end" : "middle";
      node("text", {x: sx(xv), y: B + 16, "text-anchor": anchor}, svg, quantity(xv, el, 4));
    }
    var pts = [];
    for (var m = 0; m < xs.length; m++) {
      if (xs[m] >= lo && xs[m] <= hi) {
        pts.push(sx(xs[m]).toFixed(1) + "," + sy(counts[m] / n).toFixed(1));
      }
    }
    node("polyline", {points: pts.join(" "), fill: "none", stroke: "#0b6fb8",
                      "stroke-width": 2}, svg);
    var vline = node("line", {y1: T, y2: B, stroke: "#b5470b", "stroke-dasharray": "4 3"}, svg);
    var dot = node("circle", {r: 4.5, fill: "#b5470b"}, svg);
    function show(i) {
      var k = counts[i], ci = wilson(k, n), p = k / n;
      slider.value = i;
      box.value = Number((xs[i] / Number(el.dataset.factor)).toPrecision(12));
      el.querySelector(".t").textContent = quantity(xs[i], el);
      var pe = el.querySelector(".p"), text = shown(k, n, ci);
      pe.textContent = text[0];
      pe.dataset.p = String(p); pe.dataset.low = String(ci[0]); pe.dataset.high = String(ci[1]);
      pe.dataset.count = String(k); pe.dataset.threshold = String(xs[i]);
      el.querySelector(".ci").textContent = text[1] + " to " + text[2];
      el.querySelector(".k").textContent = k.toLocaleString("en-US") + " of " +
        n.toLocaleString("en-US") + " draws";
      vline.setAttribute("x1", sx(xs[i])); vline.setAttribute("x2", sx(xs[i]));
      dot.setAttribute("cx", sx(xs[i])); dot.setAttribute("cy", sy(p));
    }
    slider.addEventListener("input", function () { show(Number(slider.value)); });
    box.addEventListener("change", function () {
      var v = Number(box.value);
      if (isFinite(v)) show(nearest(xs, v * Number(el.dataset.factor)));
    });
    el.querySelector(".reset").addEventListener("click", function () { show(start); });
    show(start);
  }
  Array.prototype.forEach.call(document.querySelectorAll(".explorer"), setup);
})();
"""


def render_html(
    summary: Mapping[str, Any],
    images: Mapping[str, bytes] | None = None,
    *,
    captions: Mapping[str, str] | None = None,
    grids: Mapping[str, Any] | None = None,
    extra_sections: Sequence[tuple[str, str, str]] = (),
) -> str:
    """The page for one scenario; ``images`` are PNG bytes by file name, in display order;
    ``grids`` the headline nodes' distribution grids
    (:func:`simulate.report.explore.distribution_grids`; none: no sliders, e.g. a chunked
    run); ``extra_sections`` are ``(id, title, body HTML)`` placed at the outline's
    ``extra`` slot (:data:`simulate.report.outline.REPORT_SECTIONS`)."""
    prov = summary["provenance"]
    grids = dict(grids or {})
    renderers = {
        "answer": lambda: _answer(summary),
        "risk": lambda: _risk(summary),
        "explore": lambda: _explore(summary, grids),
        "views": lambda: _views(summary),
        "compare_to": lambda: _compare_to(summary),
        "inputs": lambda: _inputs(summary),
        "outputs": lambda: _outputs(summary),
        "method": lambda: _method(summary),
        "correlations": lambda: _correlations(summary) if "correlations" in summary else "",
        "sensitivity": lambda: _sensitivity(summary) if "sensitivity" in summary else "",
        "convergence": lambda: _convergence(summary) if "convergence" in summary else "",
        "notes": lambda: _notes(summary),
        "provenance": lambda: _provenance(summary),
    }
    parts = [_overrides(summary)]
    for section in REPORT_SECTIONS:
        if section.id == "extra":
            parts += [_section(sid, title, body) for sid, title, body in extra_sections]
        elif section.id == "plots":
            parts.append(_figures(images, captions or {}) if images else "")
        else:
            body = renderers[section.id]()
            parts.append(_section(section.id, section.title, body) if body else "")
    script = ""
    if any('class="explorer"' in part for part in parts):
        script = (
            f'<script type="application/json" id="distributions">{grids_json(grids)}</script>'
            f"<script>{_SCRIPT}</script>"
        )
    lede = (
        f"Scenario <code>{_e(prov['scenario'])}</code> from <code>{_e(prov['config_path'])}"
        f"</code>: {prov['draws']:,} Monte Carlo draws."
    )
    return _page(
        f"Training cost and duration: {prov['scenario']}", lede, "".join(parts), script=script
    )


def render_markdown_html(text: str, images: Mapping[str, bytes] = {}) -> str:  # noqa: B006
    """A report.md of ours (``# title``, ``## `` sections of paragraphs and pipe tables) as
    one self-contained page, section for section, its ``images`` embedded: for the folders
    whose report.md is the whole report (goal seek)."""
    title, sections, current = "Report", [], None
    for line in text.splitlines():
        if line.startswith("# "):
            title = line[2:].strip()
        elif line.startswith("## "):
            current = [line[3:].strip(), []]
            sections.append(current)
        elif current is not None and not line.startswith("!["):
            current[1].append(line)
    parts = [
        _section(
            re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
            name,
            markdown_block("\n".join(body)),
        )
        for name, body in sections
        if name != "Plots"
    ]
    if images:
        parts.append(_figures(images, {}))
    return _page(title, "", "".join(parts))


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
