"""The bad-input corpus through the real pipeline: every kind in tests/corpus/cases.py gets its documented outcome.

Row cases share one landing set and one run (PRA_ON_BAD_LINES=quarantine), made twice under two host time
zones that must give identical marts. Stop cases each add their files to a copy of that run's folders and run
one window with the defaults: the load stops with the documented error and the published version stays.
"""

from __future__ import annotations

import decimal
import re
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.alerts import alert_text
from orchestration.lib.contract import ENTITIES
from orchestration.lib.publish import current_entry, read_log
from tests.corpus.cases import (
    CASES,
    LAST_SHARED_DAY,
    ROW_CASES,
    SECRET,
    STOP_CASES,
    Case,
    shared_landing,
    stop_landing,
)
from tests.helpers import PipelineDirs, query, run_pipeline

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"
# Small baselines, so the volume checks judge the corpus's 20-row days and 27-partner snapshot.
ENV = {"PRA_VOLUME_MIN_ROWS": "10"}
ZONES = ("Asia/Kolkata", "America/Los_Angeles")


def run_corpus(root: Path, zone: str) -> tuple[PipelineDirs, dg.ExecuteInProcessResult]:
    dirs = PipelineDirs(root)
    shared_landing(dirs.landing)
    result = run_pipeline(
        dirs, date(2024, 1, 1), date.fromisoformat(LAST_SHARED_DAY), TZ=zone, PRA_ON_BAD_LINES="quarantine", **ENV
    )
    return dirs, result


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory: pytest.TempPathFactory):
    return {zone: run_corpus(tmp_path_factory.mktemp(zone.replace("/", "_")), zone) for zone in ZONES}


@pytest.fixture(scope="module")
def corpus(corpus_runs) -> PipelineDirs:
    dirs, result = corpus_runs[ZONES[0]]
    assert result.success, "the corpus run failed: a row case stopped the load"
    return dirs


def staged_ids(dirs: PipelineDirs, case: Case) -> set[str]:
    model, key = {
        "transactions": ("stg_program__transactions", "transaction_id"),
        "partners": ("stg_program__partner_snapshots", "partner_id"),
        "payouts": ("stg_program__payouts", "payout_id"),
        "nps_responses": ("stg_program__nps_responses", "response_id"),
        "traffic_daily": ("stg_program__traffic_daily", "partner_id || '|' || cast(traffic_date as varchar)"),
        "partner_targets": (
            "stg_program__partner_targets",
            "partner_id || '|' || cast(period_start_date as varchar) || '|' || metric",
        ),
    }[case.entity]
    files = sorted({Path(f).name for f in case.files})
    rows = query(dirs.work_db, f"select {key}, _source_file from staging.{model}")
    return {k for k, f in rows if Path(f).name in files}


def quarantined(dirs: PipelineDirs, case: Case) -> set[tuple]:
    files = sorted({Path(f).name for f in case.files})
    rows = query(
        dirs.work_db,
        "select _source_file, _source_row, rejection_reason, rejected_field from staging.stg_program__quarantine "
        "where entity = ?",
        [case.entity],
    )
    return {(Path(f).name, r, reason, column) for f, r, reason, column in rows if Path(f).name in files}


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda c: c.kind)
def test_row_case_is_staged_or_quarantined_as_documented(corpus: PipelineDirs, case: Case):
    assert staged_ids(corpus, case) == set(case.staged)
    assert quarantined(corpus, case) == set(case.quarantined)
    # Nothing lost: the case's raw rows are its staged plus its quarantined rows.
    names = sorted({Path(f).name for f in case.files})
    raw = query(
        corpus.work_db,
        f"select count(*) from raw.{case.entity} where regexp_extract(_source_file, '[^/]+$') in "
        f"({', '.join('?' for _ in names)})",
        names,
    )[0][0]
    assert raw == len(case.staged) + len(case.quarantined)


def test_accepted_with_a_warning_naming_the_file_and_column(corpus_runs):
    _, result = corpus_runs[ZONES[0]]
    warnings = "\n".join(
        str(e.event_specific_data.materialization.metadata["warnings"].value)
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        and "warnings" in e.event_specific_data.materialization.metadata
    )
    cases = [c for c in ROW_CASES if c.warns]
    assert cases
    for case in cases:
        assert case.warns in warnings, case.kind


def test_values_of_accepted_quirks(corpus: PipelineDirs):
    rows = dict(
        (r[0], r[1:])
        for r in query(
            corpus.work_db,
            "select transaction_id, cast(occurred_at as varchar), amount, currency, product "
            "from staging.stg_program__transactions where transaction_id in "
            "('offset_less_timestamp-1', 'typed-1', 'lowercase_currency-1', 'quoted_newline-1')",
        )
    )
    # No offset: UTC, whatever the host's zone. Typed Parquet: 15:30 in Kolkata is 10:00 UTC; decimal kept.
    assert rows["offset_less_timestamp-1"][0] == "2024-01-02 02:00:00"
    assert rows["typed-1"][:3] == ("2024-01-03 10:00:00", decimal.Decimal("12.34"), "USD")
    assert rows["lowercase_currency-1"][2] == "USD"
    assert rows["quoted_newline-1"][3] == "Core\nSubscription"


def test_unreadable_lines_say_which_line_and_what(corpus: PipelineDirs):
    details = dict(
        query(
            corpus.work_db,
            "select regexp_extract(_source_file, '[^/]+$'), rejection_detail from staging.stg_program__quarantine "
            "where rejection_reason = 'unreadable_line'",
        )
    )
    assert details == {
        "comma_decimal_unquoted.csv": (
            "line 2: 11 fields, expected 10 (an unquoted comma in a value, e.g. a comma decimal?)"
        ),
        "huge_line.csv": "line 2: value longer than 2 MiB",
        "nul_byte.csv": "NUL byte (0x00) in the value: a corrupted export",
    }


def test_the_marts_do_not_depend_on_the_host_time_zone(corpus_runs):
    (first, a), (second, b) = (corpus_runs[z] for z in ZONES)
    assert a.success and b.success
    marts = sorted(current_entry(read_log(first.warehouse / "published"))["row_counts"])
    assert len(marts) >= 10
    for mart in marts:
        rows = [query(d.warehouse / "marts.duckdb", f'select * from "{mart}" order by all') for d in (first, second)]
        assert rows[0] == rows[1], mart
    quarantine = "select * exclude (quarantine_id, _source_file) from staging.stg_program__quarantine order by all"
    assert query(first.work_db, quarantine) == query(second.work_db, quarantine)


def snapshot_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    """The run's blocking `snapshot_volume` check on raw/partners."""
    [evaluation] = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and e.event_specific_data.check_name == "snapshot_volume"
    ]
    return evaluation


def live_version(dirs: PipelineDirs) -> int:
    return current_entry(read_log(dirs.warehouse / "published"))["version"]


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """Every step failure message and failed check description of a run."""
    texts = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            texts.append(error.message if error else "")
            if event.step_failure_data.user_failure_data:
                texts.append(event.step_failure_data.user_failure_data.description or "")
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not event.event_specific_data.passed:
            texts.append(event.event_specific_data.description or "")
    return "\n".join(texts)


@pytest.mark.parametrize("case", STOP_CASES, ids=lambda c: c.kind)
def test_stop_case_stops_the_load_naming_file_and_place(corpus: PipelineDirs, case: Case, tmp_path: Path):
    dirs = PipelineDirs(tmp_path / "copy")
    shutil.copytree(corpus.root, dirs.root)
    before = live_version(dirs)
    stop_landing(dirs.landing, case)
    first, last = (date.fromisoformat(d) for d in case.window)
    result = run_pipeline(dirs, first, last, accept_mass_change=case.accept_mass_change, **ENV)
    if case.accept_mass_change:
        assert result.success and live_version(dirs) == before + 1
        accepted = f"accepted mass change(s): partners/dt={case.window[0]}/partners.csv: 10 rows"
        assert accepted in snapshot_check(result).description
        # Remembered: the ledger holds it, and the next night's load of the same day passes without the flag (the
        # ingestion step alone, where the volume checks run: the rest of the run was proven just above).
        ledger = query(dirs.work_db, "select entity, row_count from ingestion.accepted_volume_changes")
        assert ledger == [("partners", 10)]
        again = run_pipeline(dirs, first, last, assets=[dg.AssetKey(["raw", e]) for e in ENTITIES], **ENV)
        assert again.success and snapshot_check(again).passed
        return
    assert not result.success
    text = failure_text(result)
    assert re.search(case.stops, text), text
    assert SECRET not in text and "Ромашка" not in text  # no personal data in what reaches logs and alerts
    # The alert (the failure sensor and `pra run` build it the same way) names the same file and place.
    alert = alert_text(result.run_id, "partner_retention_nightly_job", result.all_events, "http://ui:3000")
    assert re.search(case.stops, alert), alert
    # Stopped at ingestion: nothing built, nothing published; bad input is not transient, so no retry.
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS]
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert live_version(dirs) == before
    with duckdb.connect(str(dirs.warehouse / "marts.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from fct_partner_monthly").fetchone()[0] > 0


def test_every_kind_is_in_the_documented_table():
    documented = DOCS.read_text(encoding="utf-8")
    missing = [c.kind.split(" (")[0] for c in CASES if f"`{c.kind.split(' (')[0]}`" not in documented]
    assert not missing, f"docs/data-contract.md's bad-input table lacks: {missing}"
    assert len({c.kind.split(" (")[0] for c in CASES}) >= 25


def test_an_absent_optional_column_is_loaded_as_null(corpus: PipelineDirs):
    shares = dict(
        query(
            corpus.work_db,
            "select response_id, share_of_wallet from staging.stg_program__nps_responses "
            "where response_id in ('without_share-1', 'share_above_100-2')",
        )
    )
    assert shares == {"without_share-1": None, "share_above_100-2": 40}


def test_parent_cycles_and_unknown_parents_are_published_findings(corpus: PipelineDirs):
    findings = query(
        corpus.work_db,
        "select partner_id, listed_parent_partner_id, hierarchy_issue, cycle_length "
        "from marts.fct_partner_hierarchy_issues order by partner_id",
    )
    assert findings == [
        ("P00105", "P00106", "parent_cycle", 2),
        ("P00106", "P00105", "parent_cycle", 2),
        ("P00107", "PX99999", "unknown_parent", None),
    ]
    # The links the two-tier marts use: none for the cycle or the unknown parent; P00104 stays P00001's sub-partner.
    links = dict(
        query(
            corpus.work_db,
            "select partner_id, parent_partner_id from intermediate.int_partner_hierarchy "
            "where partner_id in ('P00104', 'P00105', 'P00106', 'P00107')",
        )
    )
    assert links == {"P00104": "P00001", "P00105": None, "P00106": None, "P00107": None}


def test_the_shared_run_passes_the_volume_checks(corpus_runs):
    _, result = corpus_runs[ZONES[0]]
    assert snapshot_check(result).passed
