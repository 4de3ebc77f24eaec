"""Incremental nightly runs, late data and backfills give exactly the marts a full rebuild gives.

The session's short landing folder (wap_helpers: 60 days of the small preset) is built two ways and
compared with the full backfill the quality-gate and publication tests share: history backfilled in two
steps then a sequence of nightly runs, and that plus a late file reprocessed by the late-data sensor's run.
Every mart (and every incremental model) is compared by a hash of all its rows.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib.contract import ENTITIES
from orchestration.lib.dagster_storage import ephemeral_instance
from orchestration.lib.publish import PublishSettings, publish, read_log
from orchestration.lib.windows import RANGE_START_TAG, checked_from, nightly_window
from tests.helpers import PipelineDirs, dbt_on, environ, query, run_pipeline
from tests.integration import wap_helpers

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The shared session fixtures: the full backfill of the short landing folder is the reference.
published_pipeline = wap_helpers.published_pipeline
wap_landing = wap_helpers.wap_landing

LOOKBACK = 35
# One nightly run, on a warehouse that two earlier window runs built incrementally (the first day, then the bulk
# of history): its 35-day look-back deletes and rebuilds 34 days the bulk run wrote, which is what every further
# night repeats. Each further night costs a whole pipeline run of `make test` (the CI once ran seven, then two).
NIGHTLIES = 1
# The incremental models are hashed too: drift there is drift waiting to reach a mart.
INCREMENTAL = (
    "staging.base_program__transactions",
    "staging.stg_program__transactions",
    "staging.base_program__traffic_daily",
    "staging.base_program__leads",
    "staging.base_program__partners",
    "staging.base_program__payouts",
    "staging.base_program__nps_responses",
    "staging.base_program__interactions",
    "staging.base_program__partner_targets",
    "staging.stg_program__quarantine",
    "intermediate.int_transactions_converted",
    "intermediate.int_partner_months_customer_quality",
    "intermediate.int_partners_sales_summarized",
    "intermediate.int_partner_months_sale_refunds",
    "intermediate.int_partner_months_revenue",
)


# The file late_transactions writes into a partition.
LATE_FILE = "late-delivery.csv"

GATE_STEPS = {"publish_gates", "publish_gates_predictive", "published_marts"}


def missing_suites() -> list[str]:
    """Published marts without a Great Expectations suite yet (their gate fails by design)."""
    from orchestration.defs.transformation.assets import build_dbt_assets, published_mart_keys

    root = Path(__file__).resolve().parents[2] / "expectations"
    return [m for m in sorted(published_mart_keys(build_dbt_assets())) if not (root / f"{m}__publish.py").exists()]


def assert_built(result: dg.ExecuteInProcessResult) -> None:
    """Loading and dbt succeeded; the run as a whole too, unless a mart has no publication suite yet."""
    failed = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE}
    assert not failed - GATE_STEPS, f"failed steps: {failed}"
    succeeded = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    assert {"ingest_landing_files", "dbt_models"} <= succeeded
    assert result.success or missing_suites(), f"failed steps: {failed}"


def table_hashes(db: Path, landing: Path) -> dict[str, tuple[int, str]]:
    """Row count and md5 of all rows (sorted) of every mart (tables and views) and incremental model.

    Lineage columns hold absolute file paths; the landing folder's own path is cut off so two
    warehouses built from copies of one landing folder compare equal.
    """
    prefix = str(landing).replace("'", "''") + "/"
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema = 'marts' and table_type in ('BASE TABLE', 'VIEW')"
            ).fetchall()
        ]
        out = {}
        for table in sorted(tables) + list(INCREMENTAL):
            schema, name = table.split(".")
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            # Exact: every column, doubles to the last bit (averages come from exact decimal sums), and the
            # lineage `_source_row` too (the line order of the file, however DuckDB schedules the read).
            select = ", ".join(f'"{c}"' for c, _ in columns)
            source = f"(select {select} from {table})"
            row = f"replace(cast(t as varchar), '{prefix}', '')"
            out[table] = con.execute(
                f"select count(*), md5(coalesce(string_agg({row}, chr(10) order by {row}), '')) from {source} as t"
            ).fetchone()
    assert any(t.startswith("marts.") for t in out)
    return out


def new_dirs(tmp_path_factory: pytest.TempPathFactory, landing: Path, name: str) -> PipelineDirs:
    dirs = PipelineDirs(tmp_path_factory.mktemp(name))
    shutil.copytree(landing, dirs.landing)
    return dirs


@pytest.fixture(scope="module")
def full_rebuild(published_pipeline: PipelineDirs) -> dict:
    """The reference: every day backfilled in one run into an empty warehouse (the session's published run)."""
    return table_hashes(published_pipeline.work_db, published_pipeline.landing)


@pytest.fixture(scope="module")
def dbt_starts() -> dict[date, tuple[date, date | None]]:
    """By the first day of each nightly run's window of `week`: the first day its dbt step built (its log line) and
    the first day whose periods its tests and gates read (its run tag)."""
    return {}


def dbt_window_start(instance: dg.DagsterInstance, run_id: str) -> date:
    """The first day of the window the run's dbt step built, from its log line."""
    messages = [r.user_message for r in instance.all_logs(run_id)]
    starts = [m.group(1) for text in messages if (m := re.match(r"dbt build for the window \[([0-9-]+), ", text))]
    assert len(starts) == 1, starts
    return date.fromisoformat(starts[0])


@pytest.fixture(scope="module")
def week(tmp_path_factory, wap_landing, dbt_starts) -> PipelineDirs:
    """History backfilled up to NIGHTLIES days ago, then NIGHTLIES nightly runs, each the day before its run date."""
    dirs = new_dirs(tmp_path_factory, wap_landing, "week")
    first, last = dirs.landing_range()
    first_partition_into_empty_warehouse(dirs)
    # After a one-day history the bulk backfill is a deliberate volume jump: the documented override.
    history_end = last - timedelta(days=NIGHTLIES)
    assert_built(run_pipeline(dirs, first + timedelta(days=1), history_end, allow_volume_jump=True))
    parse = dirs.warehouse / "dbt_target" / "partial_parse.msgpack"
    parsed_at = parse.stat().st_mtime_ns
    for day in [last - timedelta(days=i) for i in range(NIGHTLIES - 1, -1, -1)]:
        window = nightly_window(day + timedelta(days=1), LOOKBACK, first)
        assert window[1] == day
        # The folder's last day lands the generator's closing partner snapshot: the month's sign-ups nearly
        # double the partner count, a real jump the volume gate rightly stops; that night takes the override.
        instance = ephemeral_instance()
        result = run_pipeline(dirs, *window, allow_volume_jump=day == last, instance=instance)
        assert_built(result)
        tags = instance.get_run_by_id(result.run_id).tags
        dbt_starts[window[0]] = (dbt_window_start(instance, result.run_id), checked_from(tags))
        assert query(dirs.work_db, "select max(_partition_date) from raw.transactions")[0][0] == day
    # dbt kept the parse of the earlier runs: it rewrites its saved parse only after parsing anything again
    # (a new window used to re-parse the whole project, docs/operations.md).
    assert parse.stat().st_mtime_ns == parsed_at, "a nightly run re-parsed the dbt project"
    return dirs


def first_partition_into_empty_warehouse(dirs: PipelineDirs) -> None:
    """Backfilling only the first partition of an empty warehouse loads and builds exactly that day."""
    first, _ = dirs.landing_range()
    result = run_pipeline(dirs, first, first)
    failed = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE}
    # One day of history may fail a mart's publication gate (e.g. too few partners to tier): that is the
    # gate doing its job; loading and building must succeed, and nothing half-checked is published.
    assert not failed - GATE_STEPS, failed
    assert result.success or not (dirs.warehouse / "marts.duckdb").exists()
    rows = query(dirs.work_db, "select min(occurred_date), max(occurred_date) from staging.stg_program__transactions")
    assert rows == [(first, first)]


def test_a_sequence_of_nightly_runs_equals_a_full_rebuild(week, full_rebuild):
    """Backfill of day 1, then days 2..N-1, then a nightly run with its look-back == one full backfill, mart by mart."""
    assert table_hashes(week.work_db, week.landing) == full_rebuild


def test_a_nightly_run_builds_its_new_day_when_the_days_before_were_published(week, dbt_starts):
    """The nightly's window reaches 35 days back, but the days before its new one hold the files the bulk run
    published: its dbt step judged, converted, tested and gated the new day alone (lib/build_start.py). The new day
    lands the month's closing partner snapshot, which lists the partners who signed up during the month: their rows
    of the kept days had waited, quarantined as unknown_partner, and are staged now (macro
    rows_rejudged_outside_window). The marts still equal a full rebuild's (the test above)."""
    first, last = week.landing_range()
    window_start = nightly_window(last + timedelta(days=1), LOOKBACK, first)[0]
    assert window_start < last
    newcomers = (
        "select partner_id from staging.base_program__partners where rejection_reason is null "
        "group by partner_id having min(_partition_date) = ?"
    )
    first_rows = []
    for model, dated in (
        ("base_program__transactions", "occurred_at"),
        ("base_program__leads", "created_at"),
        ("base_program__traffic_daily", "traffic_date"),
    ):
        rows = query(
            week.work_db,
            f"select count(*), count(*) filter (where rejection_reason = 'unknown_partner'), "
            f"min(least(_partition_date, coalesce(cast({dated} as date), _partition_date))) from staging.{model} "
            f"where partner_id in ({newcomers}) and _partition_date < ?",
            [last, last],
        )
        assert rows[0][0] > 0 and rows[0][1] == 0, (model, rows)
        first_rows.append(rows[0][2])
    # Its tests and gates read the periods from the earliest of those rows on.
    assert window_start < min(first_rows) < last
    assert dbt_starts == {window_start: (last, min(first_rows))}
    # Its publication covered its build: no day but the first (whose one-day run may fail a gate) is marked
    # unpublished, and every later day's files are the published ones.
    marked = set(query(week.work_db, "select first_day, end_day from ingestion.dbt_builds"))
    assert marked <= {(first, first + timedelta(days=1))}
    unpublished = (
        "select count(*) from ingestion.landing_fingerprints as l left join ingestion.published_fingerprints as p "
        "using (entity, partition_date) where l.fingerprint is distinct from p.fingerprint and l.partition_date > ?"
    )
    assert query(week.work_db, unpublished, [first]) == [(0,)]


def late_transactions(
    dirs: PipelineDirs, day: date, occurred: date | None = None, tag: str = "LATE"
) -> tuple[str, float]:
    """Write a late file of three USD sales of three new customers for a known partner into partition `day`, dated
    `occurred` (default: that day); returns the partner and the sum."""
    partner = query(dirs.work_db, "select min(partner_id) from marts.dim_partners")[0][0]
    occurred = occurred or day
    columns = ENTITIES["transactions"].columns
    rows = []
    for i in range(3):
        values = {
            "transaction_id": f"{tag}-{day.isoformat()}-{i}",
            "partner_id": partner,
            "customer_id": f"{tag}-C{i}",
            "occurred_at": f"{occurred.isoformat()}T12:0{i}:00Z",
            "kind": "sale",
            "amount": "1000.00",
            "currency": "USD",
            "commission_amount": "100.00",
            "product": "Core Subscription",
        }
        rows.append(",".join(values.get(c, "") for c in columns))
    path = dirs.landing / "transactions" / f"dt={day.isoformat()}" / LATE_FILE
    path.write_text(",".join(columns) + "\n" + "\n".join(rows) + "\n")
    return partner, 3000.0


def test_late_file_reprocesses_only_its_month_and_is_restated(week, full_rebuild, tmp_path):
    from orchestration.defs.resources import WarehouseResource
    from orchestration.defs.sensors import partner_retention_late_data_sensor

    first, last = week.landing_range()
    late_day = first + timedelta(days=9)
    warehouse = WarehouseResource(landing_dir=str(week.landing), warehouse_dir=str(week.warehouse))
    context = dg.build_sensor_context(resources={"warehouse": warehouse})
    assert isinstance(partner_retention_late_data_sensor(context), dg.SkipReason)  # baseline
    before = dict(
        ((p, m), n)
        for p, m, n in query(
            week.work_db, "select partner_id, month_start_date, net_revenue_reporting from marts.fct_partner_monthly"
        )
    )
    partner, amount = late_transactions(week, late_day)

    request = partner_retention_late_data_sensor(
        dg.build_sensor_context(cursor=context.cursor, resources={"warehouse": warehouse})
    )
    assert isinstance(request, dg.RunRequest)
    with environ(week.env()):
        from orchestration.definitions import defs

        job = defs().resolve_job_def("partner_retention_nightly_job")
        instance = ephemeral_instance()
        result = job.execute_in_process(tags=request.tags, instance=instance, raise_on_error=False)
    assert_built(result)
    # The nightly's one dbt step recorded the rows its tests read, the window's periods, for the gates to check the
    # same.
    tags = instance.get_run_by_id(result.run_id).tags
    window_start = date.fromisoformat(request.tags[RANGE_START_TAG])
    assert {k: v for k, v in tags.items() if k.endswith("/checked_from")} == {
        "pra/dbt_models/checked_from": window_start.isoformat()
    }
    assert checked_from(tags) == window_start

    after = dict(
        ((p, m), n)
        for p, m, n in query(
            week.work_db, "select partner_id, month_start_date, net_revenue_reporting from marts.fct_partner_monthly"
        )
    )
    month = late_day.replace(day=1)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {(partner, month)}
    assert float(after[(partner, month)] - before[(partner, month)]) == pytest.approx(amount)
    assert query(week.work_db, "select max(as_of_date) from marts.fct_partner_monthly")[0][0] == last

    assert table_hashes(week.work_db, week.landing) != full_rebuild

    if not result.success:
        pytest.skip(f"publish log not checked: no publication suite yet for {', '.join(missing_suites())}")
    entry = read_log(week.warehouse / "published")[-1]
    assert entry["run_id"] == result.run_id
    restated = {(r["mart"], r["metric"], r["month_start_date"]) for r in entry["restatements"]}
    assert restated, "the publish log must list the restated metrics"
    assert ("fct_partner_monthly", "net_revenue_reporting", month.isoformat()) in restated
    # The late month's revenue is also the opening revenue of the next month's revenue bridge and retention
    # rates, so those restate too; nothing else does.
    following = (month + timedelta(days=32)).replace(day=1).isoformat()
    assert {m for _, _, m in restated} <= {month.isoformat(), following}
    assert {mart for mart, _, m in restated if m == following} <= {
        "fct_revenue_bridge_monthly",
        "fct_revenue_bridge_summary_monthly",
        "fct_program_kpis_monthly",
    }
    # Published by changed period: the facts copied again from the late month on, the earlier months kept from the
    # version before; every mart's Parquet bytes those of the same work marts published whole.
    copied_from = result.asset_materializations_for_node("published_marts")[-1].metadata["copied_from"].value
    assert copied_from["fct_partner_monthly"] == month.isoformat()
    whole = publish(
        PublishSettings(work_db=week.work_db, published_dir=tmp_path / "whole", stable_db=tmp_path / "whole.duckdb"),
        list(entry["row_counts"]),
        run_id="whole",
    )
    by_period = week.warehouse / "published" / f"v{entry['version']:04d}"
    for mart in entry["row_counts"]:
        parquet = f"{mart}.parquet"
        assert (by_period / parquet).read_bytes() == (Path(whole["version_dir"]) / parquet).read_bytes(), mart


def test_backfill_of_an_older_day_rejudges_the_later_duplicate(week):
    """A file for an old day re-sends a sale first delivered last week, and another a partner's traffic of a day
    delivered last week; backfilling only that day makes the old day's rows the first occurrences (staged,
    converted) and last week's rows duplicate_keys (quarantined)."""
    first, last = week.landing_range()
    old_day = first + timedelta(days=12)
    columns = ENTITIES["transactions"].columns
    select = ", ".join(f'"{c}"' for c in columns)
    tid, later_day, *values = query(
        week.work_db,
        f"select transaction_id, _partition_date, {select} from raw.transactions "
        "where kind = 'sale' and _partition_date = ? and transaction_id in "
        "(select transaction_id from staging.stg_program__transactions) order by transaction_id limit 1",
        [last],
    )[0]
    folder = week.landing / "transactions" / f"dt={old_day.isoformat()}"
    (folder / "resent.csv").write_text(",".join(columns) + "\n" + ",".join(v or "" for v in values) + "\n")
    # Traffic's key is the pair (partner, day): the old day's file re-sends one pair of the last partition.
    traffic_columns = ENTITIES["traffic_daily"].columns
    partner, traffic_day, *traffic_values = query(
        week.work_db,
        f"select partner_id, traffic_date, {', '.join(traffic_columns)} from raw.traffic_daily "
        "where _partition_date = ? order by partner_id limit 1",
        [last],
    )[0]
    traffic_folder = week.landing / "traffic_daily" / f"dt={old_day.isoformat()}"
    (traffic_folder / "resent.csv").write_text(",".join(traffic_columns) + "\n" + ",".join(traffic_values) + "\n")

    assert_built(run_pipeline(week, old_day, old_day))

    for model in ("staging.stg_program__transactions", "intermediate.int_transactions_converted"):
        rows = query(week.work_db, f"select _partition_date from {model} where transaction_id = ?", [tid])
        assert rows == [(old_day,)], model
    quarantined = query(
        week.work_db,
        "select _partition_date, rejection_reason from staging.stg_program__quarantine where record_key = ?",
        [tid],
    )
    assert quarantined == [(later_day, "duplicate_key")]

    staged = query(
        week.work_db,
        "select _partition_date, _source_file from staging.stg_program__traffic_daily "
        "where partner_id = ? and traffic_date = cast(? as date)",
        [partner, traffic_day],
    )
    assert [(d, Path(f).name) for d, f in staged] == [(old_day, "resent.csv")]
    quarantined = query(
        week.work_db,
        "select _partition_date, rejection_reason from staging.stg_program__quarantine "
        "where entity = 'traffic_daily' and record_key = ?",
        [f"{partner}|{traffic_day}"],
    )
    assert quarantined == [(last, "duplicate_key")]


def partner_periods(dirs: PipelineDirs, model: str, columns: str) -> dict[tuple[str, date], tuple]:
    """The columns of each row of an intermediate partner-period model, by partner and period."""
    sql = f"select partner_id, month_start_date, {columns} from intermediate.{model}"
    return {(p, m): tuple(rest) for p, m, *rest in query(dirs.work_db, sql)}


def customer_quality(dirs: PipelineDirs) -> dict[tuple[str, date], tuple]:
    return partner_periods(
        dirs,
        "int_partner_months_customer_quality",
        "trailing_12m_customer_count, trailing_12m_repeat_customer_count, trailing_12m_customer_net_revenue_reporting",
    )


def partner_period_revenue(dirs: PipelineDirs) -> dict[tuple[str, date], tuple]:
    return partner_periods(dirs, "int_partner_months_revenue", "sale_count, net_revenue_reporting")


def test_a_window_run_rebuilds_the_older_periods_its_rows_counted_in(week):
    """Customer quality is incremental per changed period. A file in the last partition brings three sales dated in
    the folder's first month (late-arriving rows): backfilling only that day adds the three customers to the
    partner's trailing year from that first month on, though the window starts months later. The file then
    goes away and the same day is backfilled again: the periods the rows had counted in are rebuilt as before."""
    first, last = week.landing_range()
    before, revenue_before = customer_quality(week), partner_period_revenue(week)
    occurred = first + timedelta(days=3)
    partner, amount = late_transactions(week, last, occurred=occurred, tag="AGED")
    assert occurred.replace(day=1) < last.replace(day=1)

    assert_built(run_pipeline(week, last, last))
    after = customer_quality(week)
    assert after.keys() == before.keys()
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {(partner, m) for p, m in before if p == partner and m >= occurred.replace(day=1)}
    for key in changed:
        (count, repeat, revenue), (count_0, repeat_0, revenue_0) = after[key], before[key]
        assert (count - count_0, repeat - repeat_0, float(revenue - revenue_0)) == (3, 0, amount)
    # The partner-period revenue changes in the sales' own period only.
    revenue_after = partner_period_revenue(week)
    late_period = (partner, occurred.replace(day=1))
    keys = revenue_after.keys() | revenue_before.keys()
    assert {k for k in keys if revenue_after.get(k) != revenue_before.get(k)} == {late_period}
    sales_0, net_0 = revenue_before.get(late_period, (0, 0))
    assert (revenue_after[late_period][0] - sales_0, float(revenue_after[late_period][1] - net_0)) == (3, amount)

    (week.landing / "transactions" / f"dt={last.isoformat()}" / LATE_FILE).unlink()
    assert_built(run_pipeline(week, last, last))
    assert customer_quality(week) == before
    assert partner_period_revenue(week) == revenue_before


def test_a_window_delivered_again_unchanged_rebuilds_no_period(week, tmp_path):
    """The window's days delivered again row for row change no converted transaction, so customer quality deletes
    and recomputes none of its rows, nor the partner-period revenue, the sales summary and the sale refunds any
    partner's: every row keeps its place in its table (DuckDB's rowid; a deleted and re-inserted row gets a new
    one). The night's window, rebuilt through the seven models on a copy."""
    first, last = week.landing_range()
    start, end = nightly_window(last + timedelta(days=1), LOOKBACK, first)
    tables = {
        "intermediate.int_partner_months_customer_quality": "partner_id, month_start_date",
        "intermediate.int_partners_sales_summarized": "partner_id, as_of_date",
        "intermediate.int_partner_months_sale_refunds": "partner_id, month_start_date",
        "intermediate.int_partner_months_revenue": "partner_id, month_start_date",
    }
    before = {table: set(query(week.work_db, f"select {key}, rowid from {table}")) for table, key in tables.items()}
    db = tmp_path / "work.duckdb"
    shutil.copy(week.work_db, db)
    window = {"min_date": start.isoformat(), "max_date": (end + timedelta(days=1)).isoformat(), "as_of_date": str(end)}
    models = ["int_transactions_replaced", "int_transactions_converted", "int_transactions_changed"]
    select = " ".join(models + [t.split(".")[1] for t in tables])
    result = dbt_on(db, tmp_path / "dbt", "run", window, select)
    assert result.returncode == 0, result.stdout[-4000:]
    for table in tables:
        assert f"incremental model {table}" in result.stdout
    # The fingerprints of every converted row of the window, and of the partners whose first snapshot it brings
    # (their earlier rows are judged again), were taken, and none differed.
    newcomers = (
        "select partner_id from staging.base_program__partners where rejection_reason is null "
        f"group by partner_id having min(_partition_date) >= '{start}'"
    )
    window_rows = (
        "select count(*) from intermediate.int_transactions_converted "
        f"where _partition_date >= '{start}' or partner_id in ({newcomers})"
    )
    fingerprints = "select count(*) from intermediate.int_transactions_replaced"
    assert query(db, fingerprints) == query(db, window_rows) != [(0,)]
    assert query(db, "select count(*) from intermediate.int_transactions_changed") == [(0,)]
    for table, key in tables.items():
        assert before[table] and set(query(db, f"select {key}, rowid from {table}")) == before[table]


def test_a_first_load_into_an_empty_warehouse_marks_no_row_as_changed(published_pipeline):
    """The session's backfill of every day into an empty warehouse runs with a window, but no model that reads the
    changed rows had a table before it: each is built in full, so the comparison is skipped and the changed-rows
    table stays empty instead of listing every converted transaction (30 s of a three-year large first load)."""
    db = published_pipeline.work_db
    assert query(db, "select count(*) from intermediate.int_transactions_changed") == [(0,)]
    assert query(db, "select count(*) > 1000 from intermediate.int_transactions_converted") == [(True,)]
    # The window run built the readers in full: every partner with a sale has its summary.
    summary = "select count(*) from intermediate.int_partners_sales_summarized"
    partners = "select count(distinct partner_id) from intermediate.int_transactions_converted where kind = 'sale'"
    assert query(db, summary) == query(db, partners) != [(0,)]
