"""The asset page of `fct_program_kpis_monthly` as a user sees it: the real webserver, rendered by headless Chromium.

`tests/integration/test_dbt_asset_specs.py` checks the asset specs; this test checks that the Dagster UI
actually renders them: every column of the mart, with its type and its description, in the page's
Columns table. Expected names, types and descriptions are read from the spec's `dagster/column_schema`
(their one home is the dbt model YAML and doc blocks). The same run saves a screenshot of the page;
`PRA_UPDATE_SCREENSHOTS=1` copies it to `docs/img/asset_page_fct_program_kpis_monthly.png`.

Chromium is Debian's `chromium` package (`tests/system_deps.sh`, run by `make test`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import pytest

from tests.helpers import PipelineDirs, stop_process_group
from tests.integration.test_dagster_ui import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KPIS = dg.AssetKey(["marts", "fct_program_kpis_monthly"])
SCREENSHOT = REPO / "docs" / "img" / "asset_page_fct_program_kpis_monthly.png"
# Tall enough that the whole Columns table (23 rows) is inside the screenshot.
WINDOW = (1600, 1950)
# Running as root (CI) needs --no-sandbox; the rest keeps Chromium off the network and quiet.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]
# The React app needs a few seconds of (virtual) time to load the definitions and render the table.
VIRTUAL_TIME_MS = 20_000
# No "Join the Dagster community" pop-up: it would cover the Columns table in the screenshot.
INSTANCE_YAML = "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"
ASSET_QUERY = '{ assetNodeOrError(assetKey: {path: ["marts", "fct_program_kpis_monthly"]}) { __typename } }'


def chromium() -> str:
    """Path of the Chromium binary; skips off CI when it is missing, fails on CI (where make test installs it)."""
    found = shutil.which("chromium")
    if found:
        return found
    message = "Debian's chromium is not installed: run tests/system_deps.sh as root (make test does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class TableParser(HTMLParser):
    """Every <table> of a page as rows of cell texts (text of nested inline elements joined)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def columns_table(dom: str) -> list[list[str]]:
    """The body rows (name, type, description) of the asset page's Columns table; [] if not rendered yet."""
    parser = TableParser()
    parser.feed(dom)
    for table in parser.tables:
        if table and table[0] == ["Column name", "Type", "Description"]:
            return table[1:]
    return []


def plain(markdown: str) -> str:
    """A description as the page shows it as text: Markdown code spans rendered, whitespace collapsed."""
    return " ".join(re.sub(r"`([^`]*)`", r"\1", markdown).split())


def browse(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """One headless Chromium visit of url with a fresh profile folder."""
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
         f"--virtual-time-budget={VIRTUAL_TIME_MS}", *args, url],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """dagster-webserver on the real workspace, a free port and temporary folders; yields the port."""
    chromium()  # skip (or fail on CI) before starting a server nobody will look at
    root = tmp_path_factory.mktemp("asset_page")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRA_", "DAGSTER_"))}
    env |= {**PipelineDirs(root).env(), "DAGSTER_HOME": str(home)}
    log = root / "webserver.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": ASSET_QUERY}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(request, timeout=10) as response:
                    if json.loads(response.read())["data"]["assetNodeOrError"]["__typename"] == "AssetNode":
                        break
            except (OSError, KeyError, TypeError):
                pass
            assert time.monotonic() < deadline, "webserver not ready in 180 s:\n" + log.read_text()[-3000:]
            time.sleep(1)
        yield port
    finally:
        # The webserver and its code server share the new process group.
        stop_process_group(proc, signal.SIGTERM)


@pytest.fixture(scope="module")
def expected_columns() -> list[dg.TableColumn]:
    """The mart's columns as its asset spec declares them (the code location `dagster dev` loads)."""
    from orchestration.definitions import defs

    specs = {spec.key: spec for spec in defs().resolve_all_asset_specs()}
    return list(specs[KPIS].metadata["dagster/column_schema"].columns)


def test_asset_page_shows_every_column_with_type_and_description(webserver, expected_columns, tmp_path):
    url = f"http://127.0.0.1:{webserver}/assets/{'/'.join(KPIS.path)}"
    # The page renders asynchronously: dump the DOM until the table has every row (bounded).
    rows: list[list[str]] = []
    for attempt in range(4):
        result = browse(url, tmp_path / f"profile_dom_{attempt}", "--dump-dom")
        assert result.returncode == 0, result.stderr[-3000:]
        rows = columns_table(result.stdout)
        if len(rows) >= len(expected_columns):
            break
    assert len(rows) == len(expected_columns) == 23, rows

    shown = {name: (type_, description) for name, type_, description in rows}
    assert [r[0] for r in rows] == [c.name for c in expected_columns]  # every column, in the model's order
    assert [(name, t) for name, (t, d) in shown.items() if not t or not d] == [], "a column without type or description"
    for column in expected_columns:
        assert shown[column.name] == (column.type, plain(column.description)), column.name
    # What a reader checks by eye on the page.
    assert shown["active_partner_count"] == (
        "bigint", "Active partners in the period (program row of fct_retention_monthly).")
    assert shown["net_revenue_reporting"][0] == "decimal(38,4)"
    assert shown["churn_rate"][1].startswith("Partners of S who churned / S")

    png = tmp_path / "asset_page.png"
    result = browse(url, tmp_path / "profile_png", f"--screenshot={png}")
    assert result.returncode == 0, result.stderr[-3000:]
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == WINDOW
    if os.environ.get("PRA_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, SCREENSHOT)
