"""The engines' plain parts: the type mapping both ways and what an engine pulls back after dbt."""

import pytest

from orchestration.lib.engines import engine_for, relations_read_back
from orchestration.lib.engines.postgres import duckdb_type, postgres_type
from orchestration.lib.gx_runner import DbtModels
from orchestration.lib.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings


def test_types_map_both_ways_and_keep_decimals_exact():
    for duck, pg in [("VARCHAR", "text"), ("DOUBLE", "double precision"), ("TIMESTAMP", "timestamp")]:
        assert postgres_type(duck) == pg
    assert postgres_type("DECIMAL(18,4)") == "numeric(18, 4)"
    assert duckdb_type("numeric", 18, 4) == "DECIMAL(18, 4)"
    assert duckdb_type("timestamp without time zone", None, None) == "TIMESTAMP"
    with pytest.raises(ValueError, match="no PostgreSQL type for the DuckDB type INTERVAL"):
        postgres_type("INTERVAL")


def test_duckdb_is_no_engine_and_postgres_reads_its_server_settings(tmp_path):
    assert engine_for(Settings.from_env({"PRA_HOME": str(tmp_path)})) is None
    engine = engine_for(Settings.from_env({"PRA_HOME": str(tmp_path), "PRA_ENGINE": "postgres", "PRA_PG_PORT": "1"}))
    assert (engine.name, engine.host, engine.port) == ("postgres", "127.0.0.1", 1)


def test_each_engine_holds_its_duckdb_copies_to_the_memory_limit(tmp_path):
    env = {"PRA_HOME": str(tmp_path), "PRA_DUCKDB_MEMORY_LIMIT": "700MB"}
    assert engine_for(Settings.from_env({**env, "PRA_ENGINE": "postgres"})).duckdb_memory_limit == "700MB"
    assert engine_for(Settings.from_env({**env, "PRA_ENGINE": "spark"})).duckdb_memory_limit == "700MB"
    assert engine_for(Settings.from_env({"PRA_HOME": str(tmp_path), "PRA_ENGINE": "spark"})).duckdb_memory_limit == (
        DEFAULT_DUCKDB_MEMORY_LIMIT
    )


def test_pulled_back_are_the_marts_and_what_python_reads_not_every_model():
    models = DbtModels.load()
    pulled = relations_read_back(models)
    assert set(models.published()) <= set(pulled)
    # The publish gate of fct_partner_monthly reconciles with the staged money; the fit reads its summary; the
    # restricted export the internal at-risk contacts; re-judging the judged models incremental on landing partitions.
    for name, relation in [
        ("int_transactions_converted", ("intermediate", "int_transactions_converted")),
        ("int_partners_sales_summarized", ("intermediate", "int_partners_sales_summarized")),
        ("internal_partners_at_risk_contacts", ("internal", "internal_partners_at_risk_contacts")),
        ("base_program__transactions", ("staging", "base_program__transactions")),
        ("base_program__traffic_daily", ("staging", "base_program__traffic_daily")),
        ("base_program__leads", ("staging", "base_program__leads")),
        ("stg_program__quarantine", ("staging", "stg_program__quarantine")),
    ]:
        assert pulled[name] == relation
    # The rest are what the publish suites read with {ref[...]} and the internal models (the PostgreSQL publication's
    # restricted schema): nothing else of the models comes back.
    assert sorted(set(pulled) - set(models.published())) == [
        "base_program__interactions",
        "base_program__leads",
        "base_program__nps_responses",
        "base_program__partner_targets",
        "base_program__payouts",
        "base_program__traffic_daily",
        "base_program__transactions",
        "int_partner_hierarchy",
        "int_partner_months_aggregated",
        "int_partner_months_classified",
        "int_partners_sales_summarized",
        "int_program_months_spined",
        "int_transactions_converted",
        "internal_account_manager_coverage_monthly",
        "internal_partner_scorecards_monthly",
        "internal_partners_at_risk_contacts",
        "stg_program__interactions",
        "stg_program__quarantine",
        "stg_program__traffic_daily",
    ]
