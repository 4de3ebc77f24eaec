"""The KPI report and a partner scorecard as a user sees them: served by `pra report --serve`'s server, rendered
by headless Chromium, driven over the DevTools protocol.

Reads the shared `small_pipeline` run (its publication step already wrote the report). The test fails on any
console error or uncaught exception of either page, checks that every chart drew, and that the KPI tiles show
the numbers of the published marts (queried here). `PRA_UPDATE_SCREENSHOTS=1` copies the screenshots to
`docs/img/report.png` and `docs/img/scorecard.png`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from websockets.sync.client import connect

from orchestration.lib.report import fmt_count, fmt_pct, serve
from tests.e2e.test_asset_page_browser import CHROMIUM_FLAGS, chromium
from tests.helpers import PipelineDirs

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = {"report": REPO / "docs" / "img" / "report.png", "scorecard": REPO / "docs" / "img" / "scorecard.png"}
VIEWPORT = (1400, 1800)


class DevTools:
    """A minimal DevTools-protocol client for one page: commands, and the console errors it reported."""

    def __init__(self, ws_url: str) -> None:
        self.ws = connect(ws_url, max_size=None, open_timeout=30)
        self.next_id = 0
        self.errors: list[str] = []
        self.events: list[dict[str, Any]] = []

    def _record(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(f"exception: {details.get('exception', {}).get('description') or details['text']}")
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            args = (str(a.get("value", a.get("description"))) for a in params["args"])
            self.errors.append("console: " + " ".join(args))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
        if method:
            self.events.append(message)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its result (events arriving meanwhile are recorded)."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self.next_id:
                assert "error" not in message, message["error"]
                return message["result"]
            self._record(message)

    def wait_event(self, method: str, timeout: float = 60) -> None:
        """Wait until an event of this kind arrives (or was recorded since the last wait)."""
        deadline = time.monotonic() + timeout
        while not any(e["method"] == method for e in self.events):
            assert time.monotonic() < deadline, f"no {method} within {timeout} s"
            self._record(json.loads(self.ws.recv(timeout=timeout)))
        self.events.clear()

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> Any:
        """Poll a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)):
            assert time.monotonic() < deadline, f"{expression} still false after {timeout} s"
            time.sleep(0.2)
        return value

    def visit(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def screenshot(self, path: Path) -> None:
        """A PNG of the viewport."""
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))


@contextmanager
def _served(folder: Path) -> Iterator[str]:
    """`folder` served on a free port of 127.0.0.1 by the `pra report --serve` server; yields its URL."""
    server = serve(folder, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def report_server(small_pipeline: PipelineDirs) -> Iterator[str]:
    """The report folder the pipeline wrote, served (the `pra report --serve` server)."""
    folder = small_pipeline.warehouse / "report"
    assert (folder / "index.html").exists(), "the publication step wrote no report"
    with _served(folder) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    """Headless Chromium with a DevTools port; yields a client attached to its page."""
    binary = chromium()
    profile = tmp_path_factory.mktemp("report_browser")
    proc = subprocess.Popen(
        [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None:
            assert time.monotonic() < deadline and proc.poll() is None, "Chromium opened no DevTools port"
            line = proc.stderr.readline()
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            port = int(match.group(1)) if match else None
        # Chromium keeps writing to stderr: drain it so it never blocks on a full pipe.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(t for t in json.loads(response.read()) if t["type"] == "page")
        client = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Page"):
            client.call(f"{domain}.enable")
        client.call(
            "Emulation.setDeviceMetricsOverride",
            width=VIEWPORT[0],
            height=VIEWPORT[1],
            deviceScaleFactor=1,
            mobile=False,
        )
        yield client
        client.ws.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _published(dirs: PipelineDirs, sql: str) -> tuple:
    with duckdb.connect(str(dirs.warehouse / "marts.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchone()


def _keep_screenshot(client: DevTools, name: str, tmp_path: Path) -> None:
    png = tmp_path / f"{name}.png"
    client.screenshot(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("PRA_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(png, SCREENSHOTS[name])


def test_report_shows_the_published_kpis_without_console_errors(report_server, browser, small_pipeline, tmp_path):
    browser.visit(f"{report_server}/index.html")
    charts = browser.wait_for(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length && "
        "document.querySelectorAll('.js-plotly-plot').length"
    )
    tiles = browser.evaluate(
        "[...document.querySelectorAll('.tile')].map(t => [t.dataset.metric, t.dataset.mart, "
        "JSON.parse(t.dataset.value), t.querySelector('.tile-value').textContent])"
    )
    period = browser.evaluate("document.getElementById('kpi-tiles').dataset.period")
    at_risk = browser.evaluate("document.getElementById('at-risk-status').dataset.status")
    assert browser.errors == []
    # 14 charts: partners, CRR, NRR, bridge, revenue, 3 tier charts, Lorenz, concentration, cohorts, NPS,
    # payouts, leads; each rendered an SVG.
    assert charts == 14
    assert browser.evaluate("document.querySelectorAll('.js-plotly-plot .main-svg').length") >= 14

    # The small preset's as-of date is 2025-03-31, a month end: March 2025 is the last complete month.
    expected = _published(
        small_pipeline,
        "select month_start_date, active_partner_count, customer_retention_rate, net_revenue_retention, "
        "churned_partner_count from fct_program_kpis_monthly where not is_partial_period "
        "order by month_start_date desc limit 1",
    )
    assert period == expected[0].isoformat() == "2025-03-01"
    shown = {metric: (mart, value, text) for metric, mart, value, text in tiles}
    assert shown["active_partner_count"] == ("fct_program_kpis_monthly", expected[1], fmt_count(expected[1]))
    assert shown["customer_retention_rate"] == ("fct_program_kpis_monthly", expected[2], fmt_pct(expected[2]))
    assert shown["net_revenue_retention"] == ("fct_program_kpis_monthly", expected[3], fmt_pct(expected[3]))
    assert shown["churned_partner_count"][2] == f"{expected[4]:,}"
    # A percentage as a reader sees it: one decimal and a % sign.
    assert re.fullmatch(r"\d+\.\d%", shown["customer_retention_rate"][2])
    formula = _published(
        small_pipeline,
        "select customer_retention_rate_formula from fct_retention_monthly where dimension_name = 'program' "
        "and month_start_date = date '2025-03-01'",
    )[0]
    assert shown["customer_retention_rate_formula"][1] == formula
    gini = _published(
        small_pipeline, "select gini_coefficient from fct_concentration_monthly where month_start_date = '2025-03-01'"
    )[0]
    assert shown["gini_coefficient"][1:] == (gini, f"{gini:.3f}")
    with duckdb.connect(str(small_pipeline.warehouse / "marts.duckdb"), read_only=True) as con:
        has_at_risk = con.execute(
            "select count(*) from duckdb_tables() where table_name = 'fct_partners_at_risk'"
        ).fetchone()[0]
    assert at_risk == ("published" if has_at_risk else "not-published")
    _keep_screenshot(browser, "report", tmp_path)


def test_scorecard_of_the_top_partner_from_the_report_search(report_server, browser, small_pipeline, tmp_path):
    # The partner with the most lifetime net revenue: the one a reader looks up first.
    partner, tier, ltv = _published(
        small_pipeline,
        "select partner_id, current_tier, lifetime_net_revenue_reporting from fct_partner_ltv "
        "order by lifetime_net_revenue_reporting desc, partner_id limit 1",
    )
    browser.visit(f"{report_server}/index.html")
    browser.evaluate(
        f"document.getElementById('partner-id').value = {json.dumps(partner)}; "
        "document.getElementById('partner-search').requestSubmit(); true"
    )
    browser.wait_event("Page.loadEventFired")
    assert browser.wait_for("location.hash") == f"#{partner}"
    shown = browser.wait_for(
        "(p => p && !p.hidden && document.querySelectorAll('#partner .js-plotly-plot').length === 4 && "
        "p.dataset.partnerId)(document.getElementById('partner'))"
    )
    assert shown == partner
    fields = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#partner td[data-field]')]"
        ".filter(td => td.dataset.field).map(td => [td.dataset.field, td.textContent]))"
    )
    assert browser.errors == []
    assert fields["current_tier"] == tier
    assert fields["lifetime_net_revenue_reporting"] == f"{float(ltv):,.2f}".rstrip("0").rstrip(".")
    last = _published(
        small_pipeline,
        "select tier, ltv_to_date_reporting from fct_partner_scorecard_monthly where partner_id = "
        f"'{partner}' and month_start_date = date '2025-03-01'",
    )
    assert fields["tier"] == last[0]
    assert fields["ltv_to_date_reporting"] == f"{float(last[1]):,.2f}".rstrip("0").rstrip(".")
    _keep_screenshot(browser, "scorecard", tmp_path)

    # An unknown id says so instead of showing an empty page.
    browser.evaluate("location.hash = '#NO_SUCH_PARTNER'; true")
    assert "No partner NO_SUCH_PARTNER" in browser.wait_for(
        "document.getElementById('status').textContent.includes('No partner') && "
        "document.getElementById('status').textContent"
    )
    assert browser.errors == []


def test_a_scorecard_shows_accented_attributes_as_published(browser, small_pipeline, tmp_path):
    """The scorecard data files hold non-ASCII text as UTF-8 bytes (orjson writes no \\u escapes), and the page,
    itself UTF-8, reads them so: a partner's region and country with accents show as the published mart has them."""
    from orchestration.lib.report import build_report

    db = tmp_path / "marts.duckdb"
    shutil.copyfile(small_pipeline.warehouse / "marts.duckdb", db)
    region, country = "Île-de-France", "Côte d’Ivoire"
    with duckdb.connect(str(db)) as con:
        (partner,) = con.execute("select min(partner_id) from dim_partners").fetchone()
        con.execute("update dim_partners set region = ?, country = ? where partner_id = ?", [region, country, partner])
    build_report(db, tmp_path / "report")
    (shard,) = (tmp_path / "report" / "scorecard_data").glob("*.js")
    assert region.encode() in shard.read_bytes()
    with _served(tmp_path / "report") as url:
        browser.visit(f"{url}/scorecard.html#{partner}")
        shown = browser.wait_for(
            "(p => p && !p.hidden && p.dataset.partnerId)(document.getElementById('partner'))"
        )
        assert shown == partner
        assert f"{region} / {country}" in browser.evaluate("document.getElementById('attributes').textContent")
        assert browser.errors == []


def test_pra_report_regenerates_from_the_live_version(small_pipeline, tmp_path, capsys):
    from orchestration.cli import main
    from tests.helpers import environ

    # A copy of the published file: the shared run stays read-only.
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copyfile(small_pipeline.warehouse / "marts.duckdb", warehouse / "marts.duckdb")
    with environ({"PRA_HOME": str(tmp_path), "PRA_WAREHOUSE_DIR": str(warehouse)}):
        assert main(["report"]) == 0
    out = capsys.readouterr().out
    index = warehouse / "report" / "index.html"
    assert out.startswith(f"KPI report: {index} (80 partner scorecards, ")
    assert 'data-metric="active_partner_count"' in index.read_text()
    shards = list((warehouse / "report" / "scorecard_data").glob("v0001-*_000.js"))
    # One shard for 80 partners, and the page names it (the page adds the shard number, 000).
    assert len(shards) == 1
    page = (warehouse / "report" / "scorecard.html").read_text()
    assert f"scorecard_data/{shards[0].name.removesuffix('000.js')}" in page


def test_the_at_risk_list_is_shown_once_its_mart_is_published(small_pipeline, tmp_path):
    """Until `fct_partners_at_risk` is published the report says so; a published one is listed, riskiest first."""
    from orchestration.lib.report import build_report

    db = tmp_path / "marts.duckdb"
    shutil.copyfile(small_pipeline.warehouse / "marts.duckdb", db)
    with duckdb.connect(str(db)) as con:
        # A stand-in (in place of the real mart, if published) with the shape the issue describes: partner, month,
        # score, reason codes; the report reads any columns, and orders by `risk_score` when there is one.
        con.execute(
            "create or replace table fct_partners_at_risk as select * from (values "
            "('P00002', date '2025-03-01', 0.4, ['no_interaction_90d']), "
            "('P00001', date '2025-03-01', 0.9, ['revenue_decline', 'nps_detractor']), "
            "('P00001', date '2025-02-01', 0.7, ['revenue_decline'])) "
            "t(partner_id, month_start_date, risk_score, reason_codes)"
        )
    top, rows = "P00001", 2  # the March rows, P00001 the riskier
    files = build_report(db, tmp_path / "report")
    index = files.index.read_text()
    assert f'data-status="published" data-rows="{rows}"' in index
    # The riskiest partner is the first row, linked to its scorecard.
    table = index[index.index('id="at-risk-status"') :]
    assert table.index(f'href="scorecard.html#{top}"') < table.index("</tbody>")
    assert re.search(r'<tbody><tr><td><a href="scorecard.html#([^"]+)"', table).group(1) == top
    shard = next((tmp_path / "report" / "scorecard_data").glob("*.js")).read_text(encoding="utf-8")
    partners = json.loads(shard[shard.index(",") + 1 : shard.rindex(")")])
    assert [(r["month_start_date"], r["reason_codes"]) for r in partners[top]["at_risk"]] == [
        ("2025-03-01", ["revenue_decline", "nps_detractor"]),
        ("2025-02-01", ["revenue_decline"]),
    ]
    assert "revenue_decline, nps_detractor" in table
    assert "AT_RISK_PUBLISHED = true" in (tmp_path / "report" / "scorecard.html").read_text()


def _shard_data(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index(",") + 1 : text.rindex(")")])


def test_scorecard_shards_hold_each_partner_once_in_its_own_shard(small_pipeline, tmp_path, monkeypatch):
    """With 16 partners a shard, the small preset's 80 partners spread over 5 files, read two shards a query (three
    queries, the last with one shard): each file holds exactly the partners the page's hash sends to it, each with
    all its periods, and together they hold what one shard for everyone holds."""
    from orchestration.lib import report

    one = _shard_data(next(Path(small_pipeline.warehouse / "report" / "scorecard_data").glob("*_000.js")))
    monkeypatch.setattr(report, "PARTNERS_PER_SHARD", 16)
    monkeypatch.setattr(report, "SHARDS_PER_QUERY", 2)
    report.build_report(small_pipeline.warehouse / "marts.duckdb", tmp_path / "report")
    files = sorted((tmp_path / "report" / "scorecard_data").glob("*.js"))
    assert [f.name[-6:] for f in files] == ["000.js", "001.js", "002.js", "003.js", "004.js"]
    merged: dict[str, Any] = {}
    for k, f in enumerate(files):
        shard = _shard_data(f)
        assert shard and all(report.shard_of(pid, 5) == k for pid in shard), f.name
        assert list(shard) == sorted(shard)
        merged.update(shard)
    assert len(merged) == len(one) == 80
    assert merged == one
    with duckdb.connect(str(small_pipeline.warehouse / "marts.duckdb"), read_only=True) as con:
        periods = dict(
            con.execute("select partner_id, count(*) from fct_partner_scorecard_monthly group by 1").fetchall()
        )
    assert {pid: len(p["series"].get("month_start_date", [])) for pid, p in merged.items()} == {
        pid: periods.get(pid, 0) for pid in merged
    }


def test_the_report_bench_grows_the_program_and_draws_it(small_pipeline, tmp_path, capsys):
    """`python -m bench.report_alone --copies 3` on the small preset's published file: three times its partners and
    partner-periods, each copy's ids suffixed, in one data file (under 2,000 partners); the file itself unchanged."""
    from bench import report_alone

    marts = small_pipeline.warehouse / "marts.duckdb"
    with duckdb.connect(str(marts), read_only=True) as con:
        partners, periods = con.execute(
            "select count(distinct partner_id), count(*) from fct_partner_scorecard_monthly"
        ).fetchone()
    assert report_alone.main(["--marts", str(marts), "--copies", "3", "--keep", str(tmp_path / "report")]) == 0
    measured = json.loads(capsys.readouterr().out)
    assert (measured["partners"], measured["partner_periods"], measured["data_files"]) == (
        3 * partners,
        3 * periods,
        1,
    )
    shard = _shard_data(next((tmp_path / "report" / "scorecard_data").glob("*_000.js")))
    some = next(pid for pid in sorted(shard) if "_" not in pid and shard[pid]["series"])
    assert shard[f"{some}_1"]["series"] == shard[some]["series"] == shard[f"{some}_2"]["series"]
    with duckdb.connect(str(marts), read_only=True) as con:
        assert con.execute("select count(*) from fct_partner_scorecard_monthly").fetchone()[0] == periods
