"""Which quarantined rows outside a window its snapshots or fx rates may now stage (orchestration/lib/rejudge.py),
on a real DuckDB file with the judged models' columns."""

from datetime import date
from pathlib import Path

import duckdb

from orchestration.lib.gx_runner import DbtModels
from orchestration.lib.rejudge import pending_rejudgements, windowed_judged_relations

WINDOW = (date(2024, 1, 3), date(2024, 1, 4))


def test_the_incremental_judged_models_are_found_by_their_config():
    assert windowed_judged_relations(DbtModels.load().nodes) == {
        "interactions": "staging.base_program__interactions",
        "leads": "staging.base_program__leads",
        "nps_responses": "staging.base_program__nps_responses",
        "partner_targets": "staging.base_program__partner_targets",
        "payouts": "staging.base_program__payouts",
        "traffic_daily": "staging.base_program__traffic_daily",
        "transactions": "staging.base_program__transactions",
    }


def test_rows_outside_the_window_that_its_snapshot_or_rates_stage_are_counted_per_model(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    con.execute("create schema raw; create schema staging")
    # The window's snapshot lists P3 (and P1); its rates cover EUR.
    con.execute(
        "create table raw.partners as select * from (values "
        "(' P3 ', date '2024-01-03'), ('P1', date '2024-01-03'), ('P4', date '2024-01-01')"
        ") t(partner_id, _partition_date)"
    )
    con.execute(
        "create table raw.fx_rates as select * from (values ('eur', date '2024-01-03'), ('GBP', date '2024-01-01')) "
        "t(currency, _partition_date)"
    )
    con.execute(
        "create table staging.base_program__transactions as select * from (values "
        "('P3', 'USD', 'unknown_partner', date '2024-01-02'),"  # counted: P3 is in the window's snapshot
        "('P4', 'USD', 'unknown_partner', date '2024-01-02'),"  # not: P4's snapshot is older than the window
        "('P1', 'EUR', 'no_fx_rate', date '2024-01-01'),"  # counted: EUR has a rate in the window
        "('P1', 'GBP', 'no_fx_rate', date '2024-01-01'),"  # not: GBP's rate is older than the window
        "('P3', 'USD', 'unknown_partner', date '2024-01-03')"  # not: inside the window, judged by this run anyway
        ") t(partner_id, currency, rejection_reason, _partition_date)"
    )
    con.execute(
        "create table staging.base_program__traffic_daily as select * from (values "
        "('P3', 'unknown_partner', date '2024-01-01'),"
        "('P3', 'unknown_partner', date '2024-01-02'),"
        "('P3', 'duplicate_key', date '2024-01-02')"  # not: a snapshot does not change a duplicate
        ") t(partner_id, rejection_reason, _partition_date)"
    )
    relations = {
        "traffic_daily": "staging.base_program__traffic_daily",
        "transactions": "staging.base_program__transactions",
    }
    assert pending_rejudgements(con, *WINDOW, relations) == {
        "traffic_daily unknown_partner": 2,
        "transactions no_fx_rate": 1,
        "transactions unknown_partner": 1,
    }
    # Traffic alone is enough to rebuild: a window whose only stageable rows are days of traffic.
    con.execute("delete from staging.base_program__transactions where _partition_date < date '2024-01-03'")
    assert pending_rejudgements(con, *WINDOW, relations) == {"traffic_daily unknown_partner": 2}
    # A warehouse whose models are not built yet has nothing to re-judge.
    con.execute("drop table staging.base_program__traffic_daily; drop table staging.base_program__transactions")
    assert pending_rejudgements(con, *WINDOW, relations) == {}
