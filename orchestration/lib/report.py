"""The KPI report: one self-contained HTML page and a partner scorecard page, drawn from the PUBLISHED marts only.

Layout under `<warehouse>/report/` (`Settings.report_dir`):

* `index.html`: the program report (KPI tiles of the last complete period, charts, the at-risk list, a partner
  search). Plotly draws the charts; plotly.js is embedded, so the file opens offline and from a mail attachment.
* `scorecard.html#<partner_id>`: one page for every partner (plotly.js embedded once); the per-partner data sits
  in `scorecard_data/<version>_<shard>.js` files of about 2,000 partners each, so the page loads one shard,
  whatever the program's size.

Every number is read from a published mart (`marts.duckdb`, read-only); a metric a mart publishes is never
computed here. The one drawing that needs per-partner values (the Lorenz curve) reads the revenue-active
partners' net revenue of `fct_partner_monthly`; its Gini and top-20 % share are the concentration mart's.
Published marts hold no names (personal data): partners are shown by id.
CLI: `pra report` (regenerate) and `pra report --serve` (docs/operations.md). No Dagster here.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import orjson

from orchestration.lib.publish import _write_atomic  # the same atomic, fsynced write as the publish log
from orchestration.lib.settings import DEFAULT_DUCKDB_MEMORY_LIMIT
from orchestration.lib.tables import table_exists

AT_RISK_MART = "fct_partners_at_risk"
SCORECARD_DATA_DIR = "scorecard_data"
PARTNERS_PER_SHARD = 2_000
# Above this many partners the report's search box does not list every id (the page stays small).
SEARCH_LIST_LIMIT = 5_000
AT_RISK_ROWS_SHOWN = 100
TIERS = ("platinum", "gold", "silver", "bronze")
TIER_COLOURS = {"platinum": "#6c7a89", "gold": "#d4a017", "silver": "#a8b2bd", "bronze": "#b87333"}
# No tool bar over the titles: drag to zoom and double-click to reset still work.
PLOT_CONFIG = {"displayModeBar": False, "responsive": True}


@dataclass(frozen=True)
class ReportFiles:
    """What `build_report` wrote, and how long it took."""

    index: Path
    scorecard: Path
    partner_count: int
    version: int | None
    seconds: float

    def sizes(self) -> dict[str, int]:
        """Bytes of the report page, the scorecard page and all scorecard data shards."""
        data = self.scorecard.parent / SCORECARD_DATA_DIR
        return {
            "index.html": self.index.stat().st_size,
            "scorecard.html": self.scorecard.stat().st_size,
            SCORECARD_DATA_DIR: sum(p.stat().st_size for p in data.glob("*.js")),
        }


# ---------------------------------------------------------------------------------------------- reading


def _plain(value: Any) -> Any:
    """A DuckDB value as JSON can carry it: decimals as floats, dates as ISO text, NaN as null."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _columns(rows: Sequence[Mapping[str, Any]], *names: str) -> dict[str, list[Any]]:
    return {n: [r[n] for r in rows] for n in names}


def _version(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The live version's publish log entry as the file records it (empty for a file without a log)."""
    if not table_exists(con, "main", "publish_log"):
        return {}
    rows = _rows(con, "select version, event, as_of_date, published_at from publish_log order by entry_number")
    return rows[-1] if rows else {}


# ---------------------------------------------------------------------------------------------- formatting


def period_label(iso: str, grain: str) -> str:
    """`Mar 2025` at month grain, `Q1 2025` at quarter grain."""
    d = date.fromisoformat(iso)
    return f"Q{(d.month - 1) // 3 + 1} {d.year}" if grain == "quarter" else d.strftime("%b %Y")


def fmt_count(v: Any) -> str:
    """A count with thousands separators."""
    return "n/a" if v is None else f"{int(v):,}"


def fmt_pct(v: Any) -> str:
    """A rate as a percentage with one decimal."""
    return "n/a" if v is None else f"{v:.1%}"


def fmt_money(v: Any) -> str:
    """An amount in whole currency units."""
    return "n/a" if v is None else f"{v:,.0f}"


def fmt_points(v: Any) -> str:
    """NPS points, signed, one decimal."""
    return "n/a" if v is None else f"{v:+.1f}"


def fmt_ratio(v: Any) -> str:
    """A coefficient such as Gini, three decimals."""
    return "n/a" if v is None else f"{v:.3f}"


@dataclass(frozen=True)
class Tile:
    """One KPI tile: the mart and column a number comes from, how it is shown, and the value."""

    metric: str
    label: str
    mart: str
    value: Any
    fmt: Callable[[Any], str]
    note: str = ""

    def html(self) -> str:
        """The tile; `data-*` attributes carry the mart, column and raw value (the browser test reads them)."""
        raw = json.dumps(self.value)
        return (
            f'<div class="tile" data-metric="{self.metric}" data-mart="{self.mart}" data-value="{html.escape(raw)}">'
            f'<div class="tile-label">{html.escape(self.label)}</div>'
            f'<div class="tile-value">{html.escape(self.fmt(self.value))}</div>'
            f'<div class="tile-note">{html.escape(self.note)}</div></div>'
        )


# ---------------------------------------------------------------------------------------------- charts


def _trace(kind: str, **attributes: Any) -> dict[str, Any]:
    """A Plotly trace as plotly.js reads it (plain JSON: no figure validation in Python, which costs a second)."""
    return {"type": kind, **attributes}


# The look of Plotly's "plotly_white" template, written out (loading the template object costs 0.2 s).
AXIS = {"gridcolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "linecolor": "#EBF0F8", "automargin": True}
LAYOUT = {
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "font": {"color": "#2a3f5f"},
    "xaxis": AXIS,
    "yaxis": AXIS,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
    "height": 360,
    "legend": {"orientation": "h", "y": -0.15},
    "hovermode": "x unified",
}


def _figure(traces: Iterable[dict[str, Any]], title: str, **layout: Any) -> dict[str, Any]:
    merged = LAYOUT | {"title": {"text": title, "x": 0.01, "font": {"size": 14}}} | layout
    for axis in ("xaxis", "yaxis"):
        merged[axis] = AXIS | layout.get(axis, {})
    return {"data": list(traces), "layout": merged}


def _chart_html(fig: Mapping[str, Any], div_id: str) -> str:
    def js(value: Any) -> str:
        return json.dumps(value, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")

    return (
        f'<div id="{div_id}" class="chart"></div><script>Plotly.newPlot({js(div_id)}, {js(fig["data"])}, '
        f"{js(fig['layout'])}, {js(PLOT_CONFIG)});</script>"
    )


@functools.cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _program_charts(con: duckdb.DuckDBPyConnection, kpis: list[dict[str, Any]], grain: str, ccy: str) -> list[str]:
    """Every program chart as an HTML fragment (a div and its Plotly call)."""
    x = [r["month_start_date"] for r in kpis]
    k = _columns(
        kpis,
        *(
            "active_partner_count",
            "new_partner_count",
            "churned_partner_count",
            "reactivated_partner_count",
            "customer_retention_rate",
            "churn_rate",
            "net_revenue_retention",
            "gross_revenue_retention",
            "net_revenue_reporting",
            "existing_partner_revenue_reporting",
        ),
    )
    charts: list[tuple[str, Any]] = []
    charts.append(
        (
            "partners",
            _figure(
                [
                    _trace("scatter", x=x, y=k["active_partner_count"], name="active", mode="lines+markers"),
                    _trace("bar", x=x, y=k["new_partner_count"], name="new", marker={"color": "#2ca02c"}),
                    _trace(
                        "bar", x=x, y=k["reactivated_partner_count"], name="reactivated", marker={"color": "#17becf"}
                    ),
                    _trace(
                        "bar",
                        x=x,
                        y=[-v for v in k["churned_partner_count"]],
                        name="churned",
                        marker={"color": "#d62728"},
                    ),
                ],
                "Partners: active, new, reactivated and churned (fct_program_kpis_monthly)",
                barmode="relative",
            ),
        )
    )
    retention = _rows(
        con,
        "select month_start_date, customer_retention_rate_formula from fct_retention_monthly "
        "where dimension_name = 'program' order by month_start_date",
    )
    formula = {r["month_start_date"]: r["customer_retention_rate_formula"] for r in retention}
    charts.append(
        (
            "retention",
            _figure(
                [
                    _trace("scatter", x=x, y=k["customer_retention_rate"], name="CRR (retained / start)"),
                    _trace(
                        "scatter",
                        x=x,
                        y=[formula.get(r["month_start_date"]) for r in kpis],
                        name="CRR formula ((E - N) / S)",
                    ),
                    _trace("scatter", x=x, y=k["churn_rate"], name="churn rate"),
                ],
                "Customer retention rate, both forms, and churn rate (fct_retention_monthly, program)",
                yaxis={"tickformat": ".0%"},
            ),
        )
    )
    charts.append(
        (
            "nrr",
            _figure(
                [
                    _trace("scatter", x=x, y=k["net_revenue_retention"], name="NRR"),
                    _trace("scatter", x=x, y=k["gross_revenue_retention"], name="GRR"),
                ],
                "Net and gross revenue retention (fct_revenue_bridge_summary_monthly)",
                yaxis={"tickformat": ".0%"},
            ),
        )
    )
    bridge = _rows(con, "select * from fct_revenue_bridge_summary_monthly order by month_start_date")
    complete = [r for r in bridge if not r["is_partial_period"]] or bridge
    if complete:
        b = complete[-1]
        steps = [
            ("start", b["start_net_revenue_reporting"], "absolute"),
            ("new", b["new_reporting"], "relative"),
            ("expansion", b["expansion_reporting"], "relative"),
            ("reactivation", b["reactivation_reporting"], "relative"),
            ("contraction", -b["contraction_reporting"], "relative"),
            ("churned", -b["churned_reporting"], "relative"),
            ("end", b["end_net_revenue_reporting"], "total"),
        ]
        charts.append(
            (
                "bridge",
                _figure(
                    [
                        _trace(
                            "waterfall",
                            x=[s[0] for s in steps],
                            y=[s[1] for s in steps],
                            measure=[s[2] for s in steps],
                            name="revenue bridge",
                        )
                    ],
                    f"Revenue bridge, {period_label(b['month_start_date'], grain)} ({ccy}; "
                    "fct_revenue_bridge_summary_monthly)",
                    hovermode="closest",
                ),
            )
        )
    charts.append(
        (
            "revenue",
            _figure(
                [
                    _trace("bar", x=x, y=k["net_revenue_reporting"], name="net revenue"),
                    _trace("bar", x=x, y=k["existing_partner_revenue_reporting"], name="from existing partners"),
                ],
                f"Net revenue and revenue from existing partners ({ccy}; fct_program_kpis_monthly)",
                barmode="group",
            ),
        )
    )
    tiers = _rows(con, "select * from fct_tier_summary_monthly order by month_start_date, tier_level")
    months = sorted({r["month_start_date"] for r in tiers})
    tx = months
    by = {(r["month_start_date"], r["tier"]): r for r in tiers}
    charts.append(
        (
            "tier_counts",
            _figure(
                [
                    _trace(
                        "bar",
                        x=tx,
                        y=[by[(m, t)]["partner_count"] if (m, t) in by else None for m in months],
                        name=t,
                        marker={"color": TIER_COLOURS[t]},
                    )
                    for t in TIERS
                ],
                "Partners per tier (fct_tier_summary_monthly)",
                barmode="stack",
            ),
        )
    )
    charts.append(
        (
            "tier_shares",
            _figure(
                [
                    _trace(
                        "scatter",
                        x=tx,
                        y=[by[(m, t)]["trailing_12m_revenue_share"] if (m, t) in by else None for m in months],
                        name=t,
                        line={"color": TIER_COLOURS[t]},
                    )
                    for t in TIERS
                ],
                "Tier share of trailing-12-month revenue (fct_tier_summary_monthly)",
                yaxis={"tickformat": ".0%"},
            ),
        )
    )
    moves = {m: [0, 0] for m in months}
    for r in tiers:
        moves[r["month_start_date"]][0] += r["upgraded_in_count"]
        moves[r["month_start_date"]][1] += r["downgraded_in_count"]
    charts.append(
        (
            "tier_moves",
            _figure(
                [
                    _trace("bar", x=tx, y=[moves[m][0] for m in months], name="upgrades", marker={"color": "#2ca02c"}),
                    _trace(
                        "bar", x=tx, y=[-moves[m][1] for m in months], name="downgrades", marker={"color": "#d62728"}
                    ),
                ],
                "Tier upgrades and downgrades (partners moving into a tier; fct_tier_summary_monthly)",
                barmode="relative",
            ),
        )
    )
    charts += _concentration_charts(con, grain)
    charts += _cohort_chart(con, grain)
    charts += _health_charts(con, grain)
    return [_chart_html(fig, f"chart-{name}") for name, fig in charts]


def _concentration_charts(con: duckdb.DuckDBPyConnection, grain: str) -> list[tuple[str, Any]]:
    rows = _rows(con, "select * from fct_concentration_monthly order by month_start_date")
    complete = [r for r in rows if not r["is_partial_period"] and r["revenue_active_partner_count"]]
    if not complete:
        return []
    latest = complete[-1]
    # The curve's points are the revenue-active partners' own revenues; Gini and the top-20 % share are the mart's.
    revenues = [
        float(v)
        for (v,) in con.execute(
            "select net_revenue_reporting from fct_partner_monthly where month_start_date = ? "
            "and net_revenue_reporting > 0 order by net_revenue_reporting, partner_id",
            [latest["month_start_date"]],
        ).fetchall()
    ]
    n, total = len(revenues), sum(revenues)
    xs, ys, running = [0.0], [0.0], 0.0
    for i, v in enumerate(revenues, start=1):
        running += v
        xs.append(i / n)
        ys.append(running / total)
    label = period_label(latest["month_start_date"], grain)
    top = latest["top_20_pct_revenue_share"]
    lorenz = _figure(
        [
            _trace("scatter", x=xs, y=ys, name="Lorenz curve", fill="tozeroy"),
            _trace("scatter", x=[0, 1], y=[0, 1], name="equal revenue", line={"dash": "dot", "color": "grey"}),
            _trace(
                "scatter",
                x=[0.8],
                y=[1 - top],
                name=f"top 20 % earn {fmt_pct(top)}",
                mode="markers",
                marker={"size": 10},
            ),
        ],
        f"Revenue concentration, {label}: Gini {fmt_ratio(latest['gini_coefficient'])} (fct_concentration_monthly)",
        hovermode="closest",
        xaxis={"tickformat": ".0%", "title": {"text": "share of revenue-active partners (smallest first)"}},
        yaxis={"tickformat": ".0%", "title": {"text": "share of revenue"}},
    )
    x = [r["month_start_date"] for r in rows]
    trend = _figure(
        [
            _trace("scatter", x=x, y=[r["top_20_pct_revenue_share"] for r in rows], name="top 20 % revenue share"),
            _trace("scatter", x=x, y=[r["gini_coefficient"] for r in rows], name="Gini"),
        ],
        "20/80 rule over time: top-20 % share and Gini (fct_concentration_monthly)",
        yaxis={"tickformat": ".0%"},
    )
    return [("lorenz", lorenz), ("concentration", trend)]


def _cohort_chart(con: duckdb.DuckDBPyConnection, grain: str) -> list[tuple[str, Any]]:
    rows = _rows(
        con,
        "select cohort_month_start_date, periods_since_signup, retained_share, cohort_partner_count "
        "from fct_cohort_retention order by cohort_month_start_date, periods_since_signup",
    )
    if not rows:
        return []
    cohorts = sorted({r["cohort_month_start_date"] for r in rows})
    width = max(r["periods_since_signup"] for r in rows) + 1
    z = {c: [None] * width for c in cohorts}
    size = {}
    for r in rows:
        z[r["cohort_month_start_date"]][r["periods_since_signup"]] = r["retained_share"]
        size[r["cohort_month_start_date"]] = r["cohort_partner_count"]
    labels = [f"{period_label(c, grain)} ({size[c]})" for c in cohorts]
    unit = "quarters" if grain == "quarter" else "months"
    fig = _figure(
        [
            _trace(
                "heatmap",
                z=[z[c] for c in cohorts],
                x=list(range(width)),
                y=labels,
                colorscale="Blues",
                zmin=0,
                zmax=1,
                colorbar={"tickformat": ".0%"},
                hovertemplate="cohort %{y}<br>%{x} " + unit + " after signup<br>in base: %{z:.1%}<extra></extra>",
            )
        ],
        "Cohort retention: share of each signup cohort in the base (fct_cohort_retention)",
        hovermode="closest",
        height=max(360, 14 * len(cohorts) + 120),
        xaxis={"title": {"text": f"{unit} since signup"}},
        yaxis={"autorange": "reversed"},
    )
    return [("cohorts", fig)]


def _health_charts(con: duckdb.DuckDBPyConnection, grain: str) -> list[tuple[str, Any]]:
    out = []
    program = "where dimension_name = 'program' order by month_start_date"
    nps = _rows(con, f"select month_start_date, nps, nps_coverage_rate from fct_nps_monthly {program}")
    x = [r["month_start_date"] for r in nps]
    out.append(
        (
            "nps",
            _figure(
                [
                    _trace("scatter", x=x, y=[r["nps"] for r in nps], name="NPS (points)"),
                    _trace(
                        "bar", x=x, y=[r["nps_coverage_rate"] for r in nps], name="coverage", yaxis="y2", opacity=0.3
                    ),
                ],
                "NPS and survey coverage of active partners (fct_nps_monthly)",
                yaxis={"title": {"text": "NPS"}, "range": [-100, 100]},
                yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1]},
            ),
        )
    )
    pay = _rows(
        con,
        "select month_start_date, paid_within_sla_rate, hours_to_payment_median, hours_to_payment_p90, "
        f"payout_sla_hours from fct_payouts_monthly {program}",
    )
    x = [r["month_start_date"] for r in pay]
    sla = pay[-1]["payout_sla_hours"] if pay else None
    out.append(
        (
            "payouts",
            _figure(
                [
                    _trace("scatter", x=x, y=[r["paid_within_sla_rate"] for r in pay], name="paid within SLA"),
                    _trace(
                        "scatter", x=x, y=[r["hours_to_payment_median"] for r in pay], name="median hours", yaxis="y2"
                    ),
                    _trace("scatter", x=x, y=[r["hours_to_payment_p90"] for r in pay], name="p90 hours", yaxis="y2"),
                ],
                f"Payout SLA ({sla} hours): share paid on time and hours to payment (fct_payouts_monthly)",
                yaxis={"tickformat": ".0%", "range": [0, 1.05]},
                yaxis2={"overlaying": "y", "side": "right", "title": {"text": "hours"}},
            ),
        )
    )
    leads = _rows(
        con,
        "select month_start_date, leads_created, leads_created_growth, leads_created_yoy_growth "
        f"from fct_leads_monthly {program}",
    )
    x = [r["month_start_date"] for r in leads]
    out.append(
        (
            "leads",
            _figure(
                [
                    _trace("bar", x=x, y=[r["leads_created"] for r in leads], name="leads created", opacity=0.5),
                    _trace("scatter", x=x, y=[r["leads_created_growth"] for r in leads], name="growth", yaxis="y2"),
                    _trace(
                        "scatter", x=x, y=[r["leads_created_yoy_growth"] for r in leads], name="YoY growth", yaxis="y2"
                    ),
                ],
                "Leads created and lead growth (fct_leads_monthly)",
                yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%"},
            ),
        )
    )
    return out


# ---------------------------------------------------------------------------------------------- tiles


def kpi_tiles(con: duckdb.DuckDBPyConnection) -> tuple[str | None, list[Tile]]:
    """The last complete period (the latest if none is complete) and its KPI tiles, each from its own mart."""
    period = con.execute(
        "select max(month_start_date) filter (where not is_partial_period), max(month_start_date) "
        "from fct_program_kpis_monthly"
    ).fetchone()
    month = period[0] or period[1]
    if month is None:
        return None, []
    kpi = _rows(con, "select * from fct_program_kpis_monthly where month_start_date = ?", [month])[0]

    def one(sql: str) -> dict[str, Any]:
        rows = _rows(con, sql, [month])
        return rows[0] if rows else {}

    ret = one("select * from fct_retention_monthly where dimension_name = 'program' and month_start_date = ?")
    conc = one("select * from fct_concentration_monthly where month_start_date = ?")
    nps = one("select * from fct_nps_monthly where dimension_name = 'program' and month_start_date = ?")
    pay = one("select * from fct_payouts_monthly where dimension_name = 'program' and month_start_date = ?")
    leads = one("select * from fct_leads_monthly where dimension_name = 'program' and month_start_date = ?")
    k, ccy = "fct_program_kpis_monthly", kpi["reporting_currency"]
    tiles = [
        Tile("active_partner_count", "Active partners", k, kpi["active_partner_count"], fmt_count),
        Tile("new_partner_count", "New partners", k, kpi["new_partner_count"], fmt_count),
        Tile("churned_partner_count", "Churned partners", k, kpi["churned_partner_count"], fmt_count),
        Tile("reactivated_partner_count", "Reactivated partners", k, kpi["reactivated_partner_count"], fmt_count),
        Tile("customer_retention_rate", "CRR (retained / start)", k, kpi["customer_retention_rate"], fmt_pct),
        Tile(
            "customer_retention_rate_formula",
            "CRR formula ((E - N) / S)",
            "fct_retention_monthly",
            ret.get("customer_retention_rate_formula"),
            fmt_pct,
        ),
        Tile("churn_rate", "Churn rate", k, kpi["churn_rate"], fmt_pct),
        Tile("net_revenue_retention", "NRR", k, kpi["net_revenue_retention"], fmt_pct),
        Tile("gross_revenue_retention", "GRR", k, kpi["gross_revenue_retention"], fmt_pct),
        Tile("net_revenue_reporting", "Net revenue", k, kpi["net_revenue_reporting"], fmt_money, ccy),
        Tile(
            "existing_partner_revenue_reporting",
            "From existing partners",
            k,
            kpi["existing_partner_revenue_reporting"],
            fmt_money,
            ccy,
        ),
        Tile("top_20_pct_revenue_share", "Top-20 % revenue share", k, kpi["top_20_pct_revenue_share"], fmt_pct),
        Tile("gini_coefficient", "Gini", "fct_concentration_monthly", conc.get("gini_coefficient"), fmt_ratio),
        Tile("platinum_revenue_share", "Platinum revenue share", k, kpi["platinum_revenue_share"], fmt_pct),
        Tile("nps", "NPS", "fct_nps_monthly", nps.get("nps"), fmt_points, "points; n/a below nps_min_responses"),
        Tile(
            "paid_within_sla_rate",
            "Payouts within SLA",
            "fct_payouts_monthly",
            pay.get("paid_within_sla_rate"),
            fmt_pct,
        ),
        Tile("leads_created_growth", "Lead growth", "fct_leads_monthly", leads.get("leads_created_growth"), fmt_pct),
    ]
    return _plain(month), tiles


# ---------------------------------------------------------------------------------------------- at risk


def _at_risk_columns(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The at-risk mart's columns; None if it is not published."""
    if not table_exists(con, "main", AT_RISK_MART):
        return None
    return [r[0] for r in con.execute(f"describe {AT_RISK_MART}").fetchall()]


def _at_risk(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[dict[str, Any]]] | None:
    """The latest period's rows of the at-risk mart (riskiest first when it has a score); None if not published."""
    cols = _at_risk_columns(con)
    if cols is None:
        return None
    where = (
        f"where month_start_date = (select max(month_start_date) from {AT_RISK_MART})"
        if ("month_start_date" in cols)
        else ""
    )
    scores = [c for c in cols if c == "risk_score"] or [c for c in cols if "risk" in c and "score" in c]
    score = scores[0] if scores else None
    order = f"{score} desc nulls last, partner_id" if score else "partner_id"
    rows = _rows(con, f"select * from {AT_RISK_MART} {where} order by {order}")
    return cols, rows


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, list | dict):
        return html.escape(", ".join(map(str, value)) if isinstance(value, list) else json.dumps(value))
    return html.escape("" if value is None else str(value))


def _at_risk_html(found: tuple[list[str], list[dict[str, Any]]] | None) -> str:
    if found is None:
        return (
            f'<p class="muted" id="at-risk-status" data-status="not-published">The at-risk list '
            f"(<code>{AT_RISK_MART}</code>) is not published yet.</p>"
        )
    cols, rows = found
    shown = [c for c in cols if c not in ("as_of_date", "period_grain", "next_month_start_date")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown)
    body = []
    for r in rows[:AT_RISK_ROWS_SHOWN]:
        cells = []
        for c in shown:
            if c == "partner_id":
                pid = html.escape(str(r[c]))
                cells.append(f'<td><a href="scorecard.html#{pid}">{pid}</a></td>')
            else:
                cells.append(f"<td>{_cell(r[c])}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f" (the first {AT_RISK_ROWS_SHOWN} shown)" if len(rows) > AT_RISK_ROWS_SHOWN else ""
    return (
        f'<p id="at-risk-status" data-status="published" data-rows="{len(rows)}">{len(rows):,} partners at risk in '
        f"the latest period{more} (<code>{AT_RISK_MART}</code>).</p>"
        f'<div class="scroll"><table class="grid"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
        "</table></div>"
    )


# ---------------------------------------------------------------------------------------------- pages

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}
header .meta{font-size:13px;opacity:.85;margin-top:4px}main{padding:16px 24px;max-width:1400px;margin:auto}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccd;padding-bottom:4px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.tile{background:#fff;border:1px solid #dde;border-radius:6px;padding:10px}
.tile-label{font-size:12px;color:#556}.tile-value{font-size:24px;font-weight:600;margin:4px 0}
.tile-note{font-size:11px;color:#889}.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:6px}
.muted{color:#667}.scroll{overflow:auto;max-height:520px}
table.grid{border-collapse:collapse;font-size:13px;background:#fff}
table.grid th,table.grid td{border:1px solid #dde;padding:3px 8px;text-align:left;white-space:nowrap}
form.search input{font-size:15px;padding:4px 8px;width:220px}form.search button{font-size:15px;padding:4px 10px}
"""


def _search_form(partner_ids: Sequence[str], target: str) -> str:
    listed = partner_ids if len(partner_ids) <= SEARCH_LIST_LIMIT else []
    options = "".join(f'<option value="{html.escape(p)}">' for p in listed)
    return (
        f'<form class="search" id="partner-search" data-target="{target}">'
        '<input id="partner-id" list="partner-ids" placeholder="partner id, e.g. '
        f'{html.escape(partner_ids[0] if partner_ids else "P00001")}" autocomplete="off">'
        f'<datalist id="partner-ids">{options}</datalist> <button type="submit">Open scorecard</button></form>'
    )


SEARCH_JS = """
document.getElementById('partner-search').addEventListener('submit', function (e) {
  e.preventDefault();
  var id = document.getElementById('partner-id').value.trim();
  if (id) { location.href = this.dataset.target + '#' + encodeURIComponent(id); }
});
"""


def _page(title: str, meta: str, body: str, scripts: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No favicon request: a 404 would be a console error (the browser test fails on any).
        f'<link rel="icon" href="data:,"><title>{html.escape(title)}</title><style>{CSS}</style>'
        f"<script>{_plotly_js()}</script></head><body>"
        f'<header><h1>{html.escape(title)}</h1><div class="meta">{meta}</div></header><main>{body}</main>'
        f"<script>{scripts}</script></body></html>"
    )


def _meta_line(version: Mapping[str, Any], grain: str, ccy: str, extra: str = "") -> str:
    v = version.get("version")
    bits = [
        f"published version {v}" if v is not None else "unversioned file",
        f"as of {version.get('as_of_date')}",
        f"published {version.get('published_at')} UTC",
        f"grain {grain}",
        f"currency {ccy}",
        f"report generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    ]
    return html.escape(" · ".join(bits) + extra)


def _index_html(con: duckdb.DuckDBPyConnection, version: Mapping[str, Any], partner_ids: Sequence[str]) -> str:
    kpis = _rows(con, "select * from fct_program_kpis_monthly order by month_start_date")
    grain = kpis[-1]["period_grain"] if kpis else "month"
    ccy = kpis[-1]["reporting_currency"] if kpis else ""
    month, tiles = kpi_tiles(con)
    charts = _program_charts(con, kpis, grain, ccy) if kpis else []
    period = period_label(month, grain) if month else "no data"
    sections = [
        f'<h2>Key numbers, {html.escape(period)} <span class="muted">(last complete period)</span></h2>',
        f'<div class="tiles" id="kpi-tiles" data-period="{month}">{"".join(t.html() for t in tiles)}</div>',
        "<h2>Partner scorecards</h2>",
        f"<p>{len(partner_ids):,} partners (by id: published marts hold no names). "
        f"{_search_form(partner_ids, 'scorecard.html')}</p>",
        "<h2>Trends</h2>",
        '<div class="grid2">' + "".join(f'<div class="card">{c}</div>' for c in charts) + "</div>",
        "<h2>Partners at risk</h2>",
        _at_risk_html(_at_risk(con)),
        '<p class="muted">Definitions of every number: docs/metrics.md; every chart names the mart it reads.</p>',
    ]
    return _page("Partner program KPI report", _meta_line(version, grain, ccy), "".join(sections), SEARCH_JS)


# ---------------------------------------------------------------------------------------------- scorecard

# Columns of fct_partner_scorecard_monthly carried per partner and period (the scorecard's own columns).
SCORECARD_SERIES = (
    "month_start_date",
    "is_partial_period",
    "partner_status",
    "is_active",
    "tier",
    "segment",
    "net_revenue_reporting",
    "ltv_to_date_reporting",
    "trailing_3m_growth",
    "nps_latest_score",
    "nps_answered_month_start_date",
    "share_of_wallet_latest",
    "payout_sla_breach_count",
    "lead_conversion_rate_shrunk",
    "refund_rate_by_amount_shrunk",
    "repeat_purchase_rate",
    "effective_commission_rate",
    "days_since_last_interaction",
    "has_no_interaction_90d",
    "clicks",
    "target_points",
    "sub_partners_count",
)
PARTNER_ATTRIBUTES = (
    "signup_date",
    "region",
    "country",
    "partner_type",
    "ecosystem",
    "parent_partner_id",
    "status",
    "terminated_at",
    "termination_reason",
)
LTV_ATTRIBUTES = (
    "current_tier",
    "lifetime_net_revenue_reporting",
    "lifetime_contribution_reporting",
    "tenure_months",
    "active_month_count",
)


def shard_of(partner_id: str, shards: int) -> int:
    """Which data shard holds a partner: a 31-multiplier hash of its UTF-8 bytes (the page computes the same)."""
    h = 0
    for byte in partner_id.encode():
        h = (h * 31 + byte) % 2**32
    return h % shards


# Ten significant digits keep money to the cent below 100 million and shorten 17-digit rates.
_SIGNIFICANT = ".10g"


def _round(value: Any) -> Any:
    return float(format(value, _SIGNIFICANT)) if isinstance(value, float) else value


def scorecard_partner_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every partner with a scorecard: in dim_partners or in fct_partner_scorecard_monthly, sorted."""
    return [
        r[0]
        for r in con.execute(
            "select partner_id from dim_partners union select partner_id from fct_partner_scorecard_monthly "
            "order by partner_id"
        ).fetchall()
    ]


# The (partner_id, shard) relation the shard queries join: a registered Python table, so a read-only connection can
# use it.
_SHARD_RELATION = "_report_partner_shards"
# Shards read by one query: each query scans the marts once and holds its shards' rows as Arrow columns (about
# 20,000 partners, 700,000 partner-periods of a three-year program), then hands them out one shard at a time.
SHARDS_PER_QUERY = 10


def scorecard_shards(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], shards: int
) -> Iterable[tuple[int, dict[str, dict[str, Any]]]]:
    """Per data shard, in shard order: its partners (sorted) with their attributes (dim_partners, fct_partner_ltv),
    series by period, tier moves and at-risk rows.

    Memory holds one group of shards as Arrow columns and one shard as Python objects (about 2,000 partners), not
    every partner-period of the program: 100,000 partners over three years are 3.6 million rows, several GB as
    Python objects.
    """
    import pyarrow as pa

    buckets: list[list[str]] = [[] for _ in range(shards)]
    for pid in ids:  # sorted ids: each shard's partners stay sorted
        buckets[shard_of(pid, shards)].append(pid)
    shard_column = [k for k, bucket in enumerate(buckets) for _ in bucket]
    partner_column = [pid for bucket in buckets for pid in bucket]
    con.register(_SHARD_RELATION, pa.table({"partner_id": partner_column, "shard": shard_column}))
    try:
        risk_cols = _at_risk_columns(con)
        risk_order = None
        if risk_cols is not None:
            risk_order = "month_start_date desc" if "month_start_date" in risk_cols else "partner_id"
        for first in range(0, shards, SHARDS_PER_QUERY):
            group = range(first, min(first + SHARDS_PER_QUERY, shards))
            yield from _group_partners(con, group, [buckets[k] for k in group], risk_order)
    finally:
        con.unregister(_SHARD_RELATION)


def _group_partners(
    con: duckdb.DuckDBPyConnection, group: range, buckets: Sequence[Sequence[str]], risk_order: str | None
) -> Iterable[tuple[int, dict[str, dict[str, Any]]]]:
    """The scorecard data of each shard of `group`, whose partners are `buckets` (see scorecard_shards);
    `risk_order` None: no at-risk mart."""
    in_group = f"shard between {group.start:d} and {group.stop - 1:d}"
    shard_of_partner = f"(select partner_id, shard from {_SHARD_RELATION} where {in_group})"
    attrs = ", ".join(f"d.{c}" for c in PARTNER_ATTRIBUTES) + ", " + ", ".join(f"l.{c}" for c in LTV_ATTRIBUTES)
    attributes = _ShardTable(
        con,
        f"select g.shard, d.partner_id, {attrs} from dim_partners d join {shard_of_partner} g using (partner_id) "
        "left join fct_partner_ltv l using (partner_id)",
        "shard, partner_id",
    )
    cols = ", ".join(f"s.{c}" for c in SCORECARD_SERIES)
    series = _ShardTable(
        con,
        f"select g.shard, s.partner_id, {cols}, t.tier_movement, t.tier_rank "
        f"from fct_partner_scorecard_monthly s join {shard_of_partner} g using (partner_id) "
        "left join (select t.partner_month_id, t.tier_movement, t.tier_rank from fct_partner_tiers_monthly t "
        f"join {shard_of_partner} g using (partner_id)) t using (partner_month_id)",
        "shard, partner_id, month_start_date",
    )
    at_risk = None
    if risk_order is not None:
        at_risk = _ShardTable(
            con,
            f"select g.shard, r.* from {AT_RISK_MART} r join {shard_of_partner} g using (partner_id)",
            f"shard, partner_id, {risk_order}",
        )
    for k, ids in zip(group, buckets, strict=True):
        partners: dict[str, dict[str, Any]] = {pid: {"attributes": {}, "series": {}, "at_risk": []} for pid in ids}
        names, columns = attributes.shard(k)
        for pid, start, _ in _partner_runs(columns[0]):
            partners[pid]["attributes"] = {n: c[start] for n, c in zip(names[1:], columns[1:], strict=True)}
        ids_with_series, lists = series.partner_lists(k)
        for pid, *values in zip(ids_with_series, *lists.values(), strict=True):
            partners[pid]["series"] = dict(zip(lists, values, strict=True))
        if at_risk is not None:
            names, columns = at_risk.shard(k)
            for i, pid in enumerate(columns[names.index("partner_id")]):
                partners[pid]["at_risk"].append({n: c[i] for n, c in zip(names, columns, strict=True)})
        yield k, partners


class _ShardTable:
    """One query's rows for a group of shards, ordered by shard first, as Arrow columns; `shard(k)` converts one
    shard's rows to the values the scorecard data carries, column by column, and `partner_lists(k)` gives the same
    values as one list per partner (the rows are ordered by partner after the shard).

    Each value comes out as `_round(_plain(value))` would make it. Decimals are read as text (DuckDB building a
    Python Decimal for each value was a third of the report's time) and parsed by Arrow, which rounds exactly as
    `float` does; dates are read as their ISO text, as `date.isoformat` writes it. Decimals and doubles are rounded
    to ten significant digits a column at a time (`_round_significant`), and Arrow makes the Python values and the
    per-partner lists.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, select: str, order_by: str) -> None:
        types = {row[0]: row[1] for row in con.execute(f"describe {select}").fetchall()}
        as_text = [n for n, t in types.items() if t.startswith("DECIMAL") or t == "DATE"]
        projection = ", ".join(f'cast("{n}" as varchar) as "{n}"' if n in as_text else f'"{n}"' for n in types)
        self.table = con.execute(f"select {projection} from ({select}) order by {order_by}").to_arrow_table()
        self.names = [n for n in types if n != "shard"]
        self.types = [types[n] for n in self.names]
        self.bounds = self.table.column("shard").to_numpy()

    def _rows(self, k: int) -> Any:
        import numpy as np

        start, end = (int(i) for i in np.searchsorted(self.bounds, [k, k + 1]))
        return self.table.slice(start, end - start)

    def shard(self, k: int) -> tuple[list[str], list[list[Any]]]:
        """Shard k's rows: the column names and each column's values."""
        rows = self._rows(k)
        return self.names, [_column_values(rows.column(n), t) for n, t in zip(self.names, self.types, strict=True)]

    def partner_lists(self, k: int) -> tuple[list[str], dict[str, list[list[Any]]]]:
        """Shard k's partners, in order, and for each other column one list of values per partner."""
        import pyarrow as pa

        rows = self._rows(k)
        runs = list(_partner_runs(rows.column("partner_id").to_pylist()))
        offsets = pa.array([0, *(end for _, _, end in runs)], pa.int32())
        lists = {}
        for name, duckdb_type in zip(self.names, self.types, strict=True):
            if name == "partner_id":
                continue
            values = _column_array(rows.column(name), duckdb_type)
            if isinstance(values, list):  # converted value by value: cut into the partners' runs
                lists[name] = [values[start:end] for _, start, end in runs]
            else:
                lists[name] = pa.ListArray.from_arrays(offsets, values).to_pylist()
        return [pid for pid, _, _ in runs], lists


def _column_values(column: Any, duckdb_type: str) -> list[Any]:
    """One column's values as the scorecard data carries them (see `_ShardTable`)."""
    values = _column_array(column, duckdb_type)
    return values if isinstance(values, list) else values.to_pylist()


def _column_array(column: Any, duckdb_type: str) -> Any:
    """A column (a chunked Arrow array as `_ShardTable` reads it) ready for the scorecard data: an Arrow array whose
    Python values are the data's (decimals and doubles rounded, NaN null), or, for the types Arrow cannot convert
    so (lists, timestamps), a list converted value by value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks()
    if duckdb_type.startswith("DECIMAL") or duckdb_type in ("DOUBLE", "FLOAT"):
        numbers = pc.cast(array, pa.float64())  # decimal text: Arrow's parse rounds as `float` does
        if duckdb_type in ("DOUBLE", "FLOAT"):
            numbers = pc.if_else(pc.is_nan(numbers), pa.scalar(None, pa.float64()), numbers)
        rounded = _round_significant(numbers.fill_null(0).to_numpy())
        return pa.array(rounded, pa.float64(), mask=numbers.is_null().to_numpy(zero_copy_only=False))
    if duckdb_type in ("VARCHAR", "DATE", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT"):
        return array
    if duckdb_type == "HUGEINT":  # Arrow carries it as a decimal; DuckDB's own Python value is an int
        return [None if v is None else int(v) for v in array.to_pylist()]
    return [_round(_plain(v)) for v in array.to_pylist()]


# The powers of ten a double holds exactly (10**22 is the last).
_EXACT_POWERS_OF_TEN = tuple(float(10**i) for i in range(23))


def _round_significant(values: Any) -> Any:
    """`float(format(v, _SIGNIFICANT))` of every value of a float64 numpy array, for the whole array at once.

    v's ten significant digits are the integer nearest v x 10**k, with k = 9 - floor(log10 |v|). Dividing that
    integer (exact in a double) by the exact power 10**k, or multiplying it by 10**-k, is one correctly rounded
    operation: it gives the double nearest the rounded decimal, as parsing `format`'s text does. Only v x 10**k is
    rounded on the way, so where that could change the integer (its fraction within 1e-5 of one half), where log10
    missed the exponent, or where 10**k is not exact, the value goes through `format` itself. 0, -0, infinities and
    NaN stay as they are.
    """
    import numpy as np

    out = np.array(values, dtype=np.float64, copy=True)
    finite = np.isfinite(out) & (out != 0)
    v = out[finite]
    if v.size == 0:
        return out
    k = 9 - np.floor(np.log10(np.abs(v))).astype(np.int64)
    exact = np.abs(k) < len(_EXACT_POWERS_OF_TEN)
    power = np.array(_EXACT_POWERS_OF_TEN)[np.where(exact, np.abs(k), 0)]
    up = k >= 0
    scaled = np.where(up, v * power, v / power)
    whole = np.rint(scaled)
    rounded = np.where(up, whole / power, whole * power)
    magnitude = np.abs(scaled)
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-5
    by_format = ~exact | (magnitude < 1e9) | (magnitude >= 1e10) | near_half
    rounded[by_format] = [float(format(x, _SIGNIFICANT)) for x in v[by_format].tolist()]
    out[finite] = rounded
    return out


def _partner_runs(partner_ids: Sequence[str]) -> Iterable[tuple[str, int, int]]:
    """(partner_id, first row, end row) of each partner's consecutive rows; the rows are ordered by partner_id."""
    start = 0
    for pid, rows in itertools.groupby(partner_ids):
        end = start + sum(1 for _ in rows)
        yield pid, start, end
        start = end


SCORECARD_JS = """
var SHARDS = __SHARDS__, PREFIX = __PREFIX__, AT_RISK_PUBLISHED = __AT_RISK__, data = {}, loading = {};
var TIER_LEVEL = {platinum: 1, gold: 2, silver: 3, bronze: 4}, BASE = __LAYOUT__;
function shardOf(id) {
  var bytes = new TextEncoder().encode(id), h = 0;
  for (var i = 0; i < bytes.length; i++) { h = (Math.imul(h, 31) + bytes[i]) >>> 0; }
  return h % SHARDS;
}
function scorecardShard(k, partners) { data[k] = partners; render(); }
function esc(s) {
  var d = document.createElement('div'); d.textContent = s == null ? '' : String(s); return d.innerHTML;
}
function pct(v) { return v == null ? 'n/a' : (100 * v).toFixed(1) + ' %'; }
function num(v) { return v == null ? 'n/a' : Number(v).toLocaleString('en-US', {maximumFractionDigits: 2}); }
function layout(title, extra) {
  return Object.assign({}, BASE, {title: {text: title, x: 0.01, font: {size: 14}}, height: 320,
    margin: {l: 60, r: 50, t: 50, b: 40}, legend: {orientation: 'h', y: -0.2}}, extra || {});
}
function kv(rows) {
  return '<table class="grid">' + rows.map(function (r) {
    return '<tr><th>' + esc(r[0]) + '</th><td data-field="' + esc(r[2] || '') + '">' + esc(r[1]) + '</td></tr>';
  }).join('') + '</table>';
}
function render() {
  var id = decodeURIComponent(location.hash.slice(1));
  var out = document.getElementById('partner'), status = document.getElementById('status');
  document.getElementById('partner-id').value = id;
  if (!id) { status.textContent = 'Type a partner id above.'; out.hidden = true; return; }
  var k = shardOf(id);
  if (!(k in data)) {
    status.textContent = 'Loading ' + id + ' ...';
    if (!loading[k]) {
      loading[k] = true;
      var s = document.createElement('script');
      s.src = PREFIX + String(k).padStart(3, '0') + '.js';
      s.onerror = function () { status.textContent = 'Could not load the scorecard data (' + s.src + ').'; };
      document.body.appendChild(s);
    }
    return;
  }
  var p = data[k][id];
  if (!p) { status.textContent = 'No partner ' + id + ' in the published marts.'; out.hidden = true; return; }
  status.textContent = '';
  out.hidden = false;
  out.dataset.partnerId = id;
  var s = p.series, n = s.month_start_date ? s.month_start_date.length : 0, a = p.attributes, last = n - 1;
  var complete = last;
  while (complete > 0 && s.is_partial_period[complete]) { complete--; }
  document.getElementById('title').textContent = 'Partner ' + id;
  var breaches12 = 0;
  for (var i = Math.max(0, n - 12); i < n; i++) { breaches12 += s.payout_sla_breach_count[i] || 0; }
  document.getElementById('attributes').innerHTML = kv([
    ['signup date', a.signup_date], ['region / country', (a.region || '') + ' / ' + (a.country || '')],
    ['type', a.partner_type], ['ecosystem', a.ecosystem], ['parent partner', a.parent_partner_id || 'none'],
    ['status (latest snapshot)', a.status + (a.terminated_at ? ' since ' + a.terminated_at : '')],
    ['current tier', a.current_tier, 'current_tier'],
    ['lifetime net revenue', num(a.lifetime_net_revenue_reporting), 'lifetime_net_revenue_reporting'],
    ['lifetime contribution', num(a.lifetime_contribution_reporting)],
    ['tenure (months) / active periods', num(a.tenure_months) + ' / ' + num(a.active_month_count)]]);
  if (n === 0) { document.getElementById('signals').innerHTML = '<p class="muted">No periods yet.</p>'; }
  else {
    document.getElementById('signals').innerHTML = '<p class="muted">Period ' + esc(s.month_start_date[complete]) +
      ' (last complete), fct_partner_scorecard_monthly</p>' + kv([
      ['status', s.partner_status[complete], 'partner_status'], ['tier', s.tier[complete], 'tier'],
      ['segment', s.segment[complete]],
      ['net revenue', num(s.net_revenue_reporting[complete]), 'net_revenue_reporting'],
      ['LTV to date', num(s.ltv_to_date_reporting[complete]), 'ltv_to_date_reporting'],
      ['trailing 3-month growth', pct(s.trailing_3m_growth[complete])],
      ['latest NPS answer', s.nps_latest_score[complete] == null ? 'none' :
        s.nps_latest_score[complete] + ' (' + s.nps_answered_month_start_date[complete] + ')'],
      ['share of wallet', s.share_of_wallet_latest[complete] == null ? 'not stated' :
        s.share_of_wallet_latest[complete] + ' %'],
      ['payout SLA breaches, last 12 periods', breaches12],
      ['days since last interaction', s.days_since_last_interaction[complete] == null ? 'never' :
        s.days_since_last_interaction[complete]],
      ['no interaction for 90 days', s.has_no_interaction_90d[complete] ? 'yes' : 'no'],
      ['lead conversion (shrunk)', pct(s.lead_conversion_rate_shrunk[complete])],
      ['refund rate by amount (shrunk)', pct(s.refund_rate_by_amount_shrunk[complete])],
      ['repeat purchase rate', pct(s.repeat_purchase_rate[complete])],
      ['effective commission rate', pct(s.effective_commission_rate[complete])],
      ['target points', s.target_points[complete] == null ? 'no rated target' : s.target_points[complete]],
      ['sub-partners', s.sub_partners_count[complete]]]);
  }
  var risk = document.getElementById('risk');
  if (!AT_RISK_PUBLISHED) { risk.innerHTML = '<p class="muted">The at-risk list is not published yet.</p>'; }
  else if (!p.at_risk.length) { risk.innerHTML = '<p>Not on the at-risk list.</p>'; }
  else {
    var cols = Object.keys(p.at_risk[0]).filter(function (c) { return c !== 'partner_id' && c !== 'as_of_date'; });
    risk.innerHTML = '<div class="scroll"><table class="grid"><tr>' + cols.map(function (c) {
      return '<th>' + esc(c) + '</th>'; }).join('') + '</tr>' + p.at_risk.map(function (r) {
      return '<tr>' + cols.map(function (c) {
        var v = r[c]; return '<td>' + esc(Array.isArray(v) ? v.join(', ') : v) + '</td>'; }).join('') + '</tr>';
    }).join('') + '</table></div>';
  }
  var x = s.month_start_date || [], cfg = {displayModeBar: false, responsive: true};
  Plotly.react('chart-revenue', [
    {type: 'bar', x: x, y: s.net_revenue_reporting, name: 'net revenue'},
    {type: 'scatter', x: x, y: s.ltv_to_date_reporting, name: 'LTV to date', yaxis: 'y2'}],
    layout('Net revenue and LTV to date', {yaxis2: {overlaying: 'y', side: 'right'}}), cfg);
  var moves = x.map(function (m, i) { return s.tier_movement[i]; });
  Plotly.react('chart-tier', [
    {type: 'scatter', x: x, y: s.tier.map(function (t) { return t ? TIER_LEVEL[t] : null; }), name: 'tier',
     line: {shape: 'hv'}, mode: 'lines+markers', text: moves,
     hovertemplate: '%{x}: %{text}<extra></extra>',
     marker: {size: 8, color: moves.map(function (m) {
       return m === 'upgrade' ? '#2ca02c' : m === 'downgrade' ? '#d62728' : '#1f77b4'; })}}],
    layout('Tier history (green: upgrade, red: downgrade)', {yaxis: {tickvals: [1, 2, 3, 4],
      ticktext: ['platinum', 'gold', 'silver', 'bronze'], autorange: 'reversed', range: [0.5, 4.5]}}), cfg);
  Plotly.react('chart-health', [
    {type: 'scatter', x: x, y: s.nps_latest_score, name: 'latest NPS answer (0-10)'},
    {type: 'bar', x: x, y: s.payout_sla_breach_count, name: 'payout SLA breaches', opacity: 0.5},
    {type: 'scatter', x: x, y: s.days_since_last_interaction, name: 'days since last interaction', yaxis: 'y2'}],
    layout('Health signals', {yaxis2: {overlaying: 'y', side: 'right', title: {text: 'days'}}}), cfg);
  Plotly.react('chart-quality', [
    {type: 'scatter', x: x, y: s.lead_conversion_rate_shrunk, name: 'lead conversion (shrunk)'},
    {type: 'scatter', x: x, y: s.refund_rate_by_amount_shrunk, name: 'refund rate by amount (shrunk)'},
    {type: 'scatter', x: x, y: s.repeat_purchase_rate, name: 'repeat purchase rate'},
    {type: 'scatter', x: x, y: s.trailing_3m_growth, name: 'trailing 3-month growth'}],
    layout('Traffic quality and growth', {yaxis: {tickformat: '.0%'}}), cfg);
}
window.addEventListener('hashchange', render);
render();
"""


SCORECARD_CHARTS = ("revenue", "tier", "health", "quality")


def _scorecard_html(meta: str, shards: int, prefix: str, at_risk: bool, ids: Sequence[str]) -> str:
    body = (
        '<p><a href="index.html">&larr; KPI report</a></p>'
        f"{_search_form(ids, '')}"
        '<p id="status" class="muted"></p><div id="partner" hidden>'
        '<h2 id="title"></h2><div class="grid2"><div class="card"><h3>Partner</h3><div id="attributes"></div></div>'
        '<div class="card"><h3>Health signals</h3><div id="signals"></div></div></div>'
        '<h2>At-risk reasons</h2><div id="risk"></div><h2>Trends</h2><div class="grid2">'
        + "".join(f'<div class="card"><div id="chart-{c}"></div></div>' for c in SCORECARD_CHARTS)
        + "</div></div>"
    )
    js = (
        SCORECARD_JS.replace("__SHARDS__", str(shards))
        .replace("__PREFIX__", json.dumps(prefix))
        .replace("__AT_RISK__", "true" if at_risk else "false")
        .replace("__LAYOUT__", json.dumps(LAYOUT))
    )
    return _page("Partner scorecard", meta, body, SEARCH_JS + js)


# ---------------------------------------------------------------------------------------------- build


def build_report(published_db: Path, out_dir: Path, *, memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT) -> ReportFiles:
    """Read the published marts (read-only) and write index.html, scorecard.html and the scorecard data.

    `memory_limit`: DuckDB's, as for the run's other connections (PRA_DUCKDB_MEMORY_LIMIT).
    """
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = out_dir / SCORECARD_DATA_DIR
    data_dir.mkdir(exist_ok=True)
    with duckdb.connect(str(published_db), read_only=True, config={"memory_limit": memory_limit}) as con:
        version = _version(con)
        ids = scorecard_partner_ids(con)
        index = _index_html(con, version, ids)
        at_risk = table_exists(con, "main", AT_RISK_MART)
        grain, ccy = con.execute(
            "select max(period_grain), max(reporting_currency) from fct_program_kpis_monthly"
        ).fetchone()
        shards = max(1, math.ceil(len(ids) / PARTNERS_PER_SHARD))
        # Shard files carry the version, so a page loaded before a regeneration still finds its own data.
        tag = f"v{version.get('version') or 0:04d}-{int(time.time())}"
        for k, bucket in scorecard_shards(con, ids, shards):
            # orjson: the standard library's encoder took a quarter of the report's time on 100,000 partners.
            payload = orjson.dumps(bucket)
            _write_atomic(data_dir / f"{tag}_{k:03d}.js", b"scorecardShard(%d,%s);\n" % (k, payload))
    prefix = f"{SCORECARD_DATA_DIR}/{tag}_"
    meta = _meta_line(version, grain or "", ccy or "")
    _write_atomic(out_dir / "scorecard.html", _scorecard_html(meta, shards, prefix, at_risk, ids))
    _write_atomic(out_dir / "index.html", index)
    for old in data_dir.glob("*.js"):
        if not old.name.startswith(tag + "_"):
            old.unlink(missing_ok=True)
    return ReportFiles(
        index=out_dir / "index.html",
        scorecard=out_dir / "scorecard.html",
        partner_count=len(ids),
        version=version.get("version"),
        seconds=round(time.monotonic() - started, 2),
    )


def serve(directory: Path, port: int = 8765, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for the report folder on host:port (port 0 picks a free one); call serve_forever()."""

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            pass  # a quiet console: the server prints its URL once

    return ThreadingHTTPServer((host, port), Handler)
