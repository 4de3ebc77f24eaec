"""The publish gates both ways: healthy marts pass; each corrupted mart fails its named expectation, unpublished.

Corruptions are applied with SQL to a clone of a healthy, already published warehouse; the gates and the
publication step then run through Dagster (dbt is not re-run, so each case takes a few seconds). Rules that
dbt tests own (docs/quality.md) are shown failing in dbt, and not in the suites.
"""

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.transformation.assets import PUBLISHED_TAG, ProjectTranslator
from orchestration.lib import gx_runner
from orchestration.lib.publish import previous_for, read_log
from orchestration.lib.windows import checked_from_tags
from tests.helpers import DBT_PROJECT_DIR, PipelineDirs, dbt_on, query
from tests.integration import wap_helpers
from tests.integration.wap_helpers import (
    FACTS,
    TIERS,
    clone,
    gate_and_publish,
    sha256,
    stable_db,
)

# The shared session fixtures (one landing folder, one published pipeline run).
published_pipeline = wap_helpers.published_pipeline
wap_landing = wap_helpers.wap_landing

MANIFEST = Path(__file__).resolve().parents[2] / "dbt_project" / "target" / "manifest.json"


def published_marts() -> list[str]:
    """The marts dbt marks as published, as the Dagster translator reads them."""
    translator = ProjectTranslator()
    nodes = gx_runner.DbtModels.load(MANIFEST).nodes
    return sorted(name for name, node in nodes.items() if translator.get_tags(node).get(PUBLISHED_TAG) == "true")


def run_gate(dirs: PipelineDirs, mart: str, **kwargs) -> gx_runner.SuiteResult:
    """One suite on a warehouse, compared with its live published version."""
    log = read_log(dirs.warehouse / "published")
    with duckdb.connect(str(dirs.work_db), read_only=True) as con:
        return gx_runner.run_suite(con, mart, previous=previous_for(mart, log), **kwargs)


def corrupt(dirs: PipelineDirs, *statements: str) -> None:
    with duckdb.connect(str(dirs.work_db)) as con:
        for sql in statements:
            con.execute(sql)


def failed_names(result: gx_runner.SuiteResult) -> set[str]:
    """`expectation(column)` of every failed blocking expectation."""
    return {f"{o.expectation}({o.column})" if o.column else o.expectation for o in result.failed}


def test_every_published_mart_has_a_suite():
    marts = published_marts()
    assert {"dim_partners", "fct_partner_monthly"} <= set(marts)
    missing = [m for m in marts if not gx_runner.suite_path(m).exists()]
    assert missing == [], f"no suite, no publish: add expectations/<mart>__publish.py for {missing}"


def test_healthy_marts_pass_every_suite(published_pipeline: PipelineDirs):
    for mart in published_marts():
        result = run_gate(published_pipeline, mart)
        assert result.passed, result.summary()
        # Compared with version 1 of the same data: the volume expectations ran and passed (an empty mart has no
        # volume to compare: 60 days hold no quarter start with a quarter's history, so no partner targets).
        assert any(o.batch == "key_metrics" for o in result.outcomes) or not result.key_metrics or not result.row_count
    assert run_gate(published_pipeline, "fct_partner_target_attainment_monthly").row_count == 0


def live_frames_of(db: Path, mart: str) -> list[tuple[int, int]]:
    """Shapes of the DataFrames alive in this process that hold `mart`'s rows: as many rows as the mart, and only its
    columns (a gate reads the columns its checks name, so any subset)."""
    import gc

    import pandas as pd

    with duckdb.connect(str(db), read_only=True) as con:
        columns = {row[0] for row in con.execute(f"describe marts.{mart}").fetchall()}
        (rows,) = con.execute(f"select count(*) from marts.{mart}").fetchone()
    gc.collect()
    shapes = []
    for o in gc.get_objects():
        try:
            if isinstance(o, pd.DataFrame) and len(o) == rows and len(o.columns) and set(o.columns) <= columns:
                shapes.append(o.shape)
        except ReferenceError:  # a weak proxy whose object is gone (left by earlier tests in this worker)
            continue
    return shapes


def test_a_suite_keeps_no_frame_of_its_mart_after_it_ran(published_pipeline: PipelineDirs):
    """GE's execution engine caches every batch's DataFrame for the life of the process; the runner drops them,
    or the gates of a large warehouse held every mart in memory at once (GB on the large preset)."""
    db = published_pipeline.work_db
    with duckdb.connect(str(db), read_only=True) as con:
        held = con.execute("select partner_id, net_revenue_reporting from marts.fct_partner_monthly").df()
    assert held.shape in live_frames_of(db, "fct_partner_monthly")  # the probe finds a frame someone holds
    del held

    run_gate(published_pipeline, "fct_partner_monthly")
    run_gate(published_pipeline, "dim_partners")
    engine = gx_runner._gx_context().data_sources.get("pra_gate").get_execution_engine()
    assert engine.batch_manager.batch_data_cache == {}
    assert engine.batch_manager.batch_cache == {}
    assert live_frames_of(db, "fct_partner_monthly") == []
    assert live_frames_of(db, "dim_partners") == []


def test_a_mart_without_a_suite_fails(published_pipeline: PipelineDirs, tmp_path: Path):
    with duckdb.connect(str(published_pipeline.work_db), read_only=True) as con:
        result = gx_runner.run_suite(con, "dim_partners", expectations_dir=tmp_path)
    assert not result.passed and result.missing_suite
    assert "no suite, no publish" in result.summary()


def half_of_partners(relation: str) -> str:
    return (
        f"delete from {relation} where partner_id in (select partner_id from marts.dim_partners "
        "order by partner_id limit (select count(*) // 2 from marts.dim_partners))"
    )


# (name, mart, SQL that corrupts the work warehouse, the expectation that must fail)
CORRUPTIONS = [
    (
        "duplicated_revenue",
        "fct_partner_monthly",
        [
            f"insert into {FACTS} select * from {FACTS} "
            "where net_revenue_reporting > 0 order by partner_month_id limit 3"
        ],
        "expect_column_values_to_be_between(difference_reporting)",
    ),
    (
        "a_partner_missing_from_ltv",
        "fct_partner_ltv",
        ["delete from marts.fct_partner_ltv where partner_id = (select min(partner_id) from marts.fct_partner_ltv)"],
        "expect_column_values_to_be_between(missing_partners)",
    ),
    (
        "half_the_partners_gone",
        "dim_partners",
        [half_of_partners("marts.dim_partners")],
        "expect_table_row_count_to_be_between",
    ),
    (
        "half_the_partners_gone_from_the_facts",
        "fct_partner_monthly",
        [half_of_partners(FACTS)],
        "expect_column_values_to_be_between(partners)",
    ),
    (
        "churn_rate_above_one",
        "fct_program_kpis_monthly",
        [
            "update marts.fct_program_kpis_monthly set churn_rate = 1.25 "
            "where month_start_date = (select max(month_start_date) from marts.fct_program_kpis_monthly)"
        ],
        "expect_column_values_to_be_between(churn_rate)",
    ),
    (
        "a_tier_missing",
        "fct_tier_summary_monthly",
        ["delete from marts.fct_tier_summary_monthly where tier = 'gold'"],
        "expect_column_values_to_be_between(tier_count)",
    ),
    (
        "tier_shares_not_100_percent",
        "fct_tier_summary_monthly",
        [
            "update marts.fct_tier_summary_monthly set net_revenue_share = net_revenue_share * 1.1 "
            "where tier = 'platinum'"
        ],
        "expect_column_values_to_be_between(net_revenue_share_total)",
    ),
    (
        "program_revenue_not_reconciled",
        "fct_program_kpis_monthly",
        [
            "update marts.fct_program_kpis_monthly set net_revenue_reporting = net_revenue_reporting * 2 "
            "where month_start_date = (select max(month_start_date) from marts.fct_program_kpis_monthly)"
        ],
        "expect_column_values_to_be_between(difference_reporting)",
    ),
    (
        "negative_refunds",
        "fct_partner_monthly",
        [f"update {FACTS} set refunds_reporting = -refunds_reporting where refund_count > 0"],
        "expect_column_values_to_be_between(refunds_reporting)",
    ),
    (
        "status_revenue_differs_from_the_facts",
        "fct_partner_monthly_status",
        [
            "update marts.fct_partner_monthly_status set net_revenue_reporting = net_revenue_reporting + 10 "
            "where partner_month_id = (select min(partner_month_id) from marts.fct_partner_monthly_status)"
        ],
        "expect_column_values_to_be_between(revenue_difference_reporting)",
    ),
]


@pytest.mark.parametrize(("name", "mart", "statements", "expectation"), CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_corrupted_mart_fails_the_named_expectation_and_is_not_published(
    published_pipeline: PipelineDirs, tmp_path: Path, name, mart, statements, expectation
):
    dirs = clone(published_pipeline, tmp_path / name)
    before = sha256(stable_db(dirs))
    corrupt(dirs, *statements)

    result = run_gate(dirs, mart)
    assert not result.passed
    assert expectation in failed_names(result), result.summary()
    failed = next(o for o in result.failed if o.expectation in expectation)
    assert failed.observed is not None and failed.expected  # observed versus expected, for a person

    run = gate_and_publish(dirs, marts=[mart])  # the other marts' gates pass (test_healthy_marts_pass_every_suite)
    assert not run.success
    checks = {(c.check_name, c.passed) for c in run.get_asset_check_evaluations()}
    assert (f"{mart}__publish", False) in checks
    assert run.get_asset_materialization_events() == []  # published_marts never ran
    # The run fails with a message naming the check.
    errors = " ".join(e.step_failure_data.error.message for e in run.all_events if e.is_step_failure)
    assert f"{mart}__publish" in errors
    # The previous version stays in place, byte for byte, and the log did not grow.
    assert sha256(stable_db(dirs)) == before
    assert [e["version"] for e in read_log(dirs.warehouse / "published")] == [1]


def test_volume_override_lets_an_explained_drop_through(published_pipeline: PipelineDirs, tmp_path: Path):
    dirs = clone(published_pipeline, tmp_path / "override")
    corrupt(dirs, half_of_partners("marts.dim_partners"))
    assert not run_gate(dirs, "dim_partners").passed
    result = run_gate(dirs, "dim_partners", allow_volume_jump=True)
    assert result.passed and "allow_volume_jump" in " ".join(result.notes)


def test_a_findings_mart_has_no_volume_band(published_pipeline: PipelineDirs):
    # A previous version of a million rows: its band fails any mart but the findings mart, whose suite opts out.
    previous = {"row_count": 10**6, "key_metrics": {"rows": 10**6}}
    with duckdb.connect(str(published_pipeline.work_db), read_only=True) as con:
        findings = gx_runner.run_suite(con, "fct_partner_hierarchy_issues", previous=previous)
        blocked = gx_runner.run_suite(con, "fct_payouts_blocked_monthly", previous=previous)
    assert findings.passed and "VOLUME_CHECKED" in " ".join(findings.notes)
    assert "expect_table_row_count_to_be_between" in {o.expectation for o in blocked.failed}


def test_warnings_are_visible_but_do_not_block(published_pipeline: PipelineDirs, tmp_path: Path):
    dirs = clone(published_pipeline, tmp_path / "warn")
    # Most partners suspended: unusual (warning), not wrong. The drop in active partners is beyond the
    # volume tolerance, so the operator has confirmed it with the override.
    corrupt(
        dirs,
        "update marts.dim_partners set status = 'suspended' where status = 'active' and "
        "partner_id in (select partner_id from marts.dim_partners order by partner_id limit 60)",
    )
    assert "expect_column_values_to_be_between(active_partners)" in failed_names(run_gate(dirs, "dim_partners"))
    result = run_gate(dirs, "dim_partners", allow_volume_jump=True)
    assert result.passed
    assert [o.expectation for o in result.warnings] == ["expect_column_values_to_be_in_set"]

    run = gate_and_publish(dirs, allow_volume_jump=True)
    assert run.success
    checks = {c.check_name: c for c in run.get_asset_check_evaluations()}
    assert not checks["dim_partners__publish_warnings"].passed
    assert checks["dim_partners__publish_warnings"].severity.value == "WARN"
    assert [e["version"] for e in read_log(dirs.warehouse / "published")] == [1, 2]
    # Each published mart's page says what was published from it: version and row count.
    observed = {o.asset_key.path[-1]: o.metadata for o in run.asset_observations_for_node("published_marts")}
    published = query(dirs.warehouse / "marts.duckdb", "select count(*) from dim_partners")[0][0]
    assert observed["dim_partners"]["published_version"].value == 2
    assert observed["dim_partners"]["dagster/row_count"].value == published
    # The partners changed (no periods): copied whole; the facts did not: kept from version 1.
    assert observed["dim_partners"]["copied_from"].value == "all"
    assert observed["fct_partner_monthly"]["copied_from"].value == "none"
    assert len(observed) == len(published_marts())


def test_report_names_the_failed_expectation_with_failing_rows(published_pipeline: PipelineDirs, tmp_path: Path):
    dirs = clone(published_pipeline, tmp_path / "report")
    corrupt(
        dirs,
        f"update {FACTS} set gross_revenue_reporting = -1 "
        "where partner_month_id in (select min(partner_month_id) from marts.fct_partner_monthly)",
    )
    run = gate_and_publish(dirs, marts=["fct_partner_monthly"])
    evaluation = next(c for c in run.get_asset_check_evaluations() if c.check_name == "fct_partner_monthly__publish")
    report = Path(evaluation.metadata["report"].value)
    html = report.read_text()
    assert "fct_partner_monthly__publish: FAILED" in html
    assert "expect_column_values_to_be_between" in html and "gross_revenue_reporting" in html
    detail = json.loads((report.parent / "fct_partner_monthly__publish.json").read_text())
    bad = [o for o in detail["outcomes"] if not o["success"]]
    assert bad[0]["failing_rows"][0]["gross_revenue_reporting"] == -1
    # The gate read the checked columns only; a failing row still shows every column, to find it by.
    assert {"partner_month_id", "partner_id", "month_start_date"} <= set(bad[0]["failing_rows"][0])
    # The UI shows the report as Markdown on the check (failures first); no file:// link it cannot open.
    details = evaluation.metadata["details"].value
    assert details.startswith("**fct_partner_monthly__publish: failed ")
    assert "| FAIL | error | expect_column_values_to_be_between | gross_revenue_reporting |" in details
    assert "| ok | error | " in details  # the passed expectations are listed too
    assert not any(str(v.value).startswith("file://") for v in evaluation.metadata.values())


def test_the_mart_batch_reads_only_the_columns_its_checks_name():
    """Ranges, a pair and a single-value check name four columns: those are read, in the mart's order; a check on
    another batch adds none; the row count alone reads one column; a table-wide check of another kind, or a check
    with a row condition (which may name any column), reads all."""
    import great_expectations.expectations as gxe

    columns = ["partner_id", "b", "a", "as_of_date", "c", "unchecked"]
    checks = [
        gx_runner.between("a", 0, 1),
        gx_runner.at_least("b", "c"),
        gx_runner.one_value("as_of_date"),
        gx_runner.between("unchecked", 0, 0, batch="spine"),
        gx_runner.Check(gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=9)),
    ]
    assert gx_runner.mart_columns_read(checks, columns) == ["b", "a", "as_of_date", "c"]
    assert gx_runner.mart_columns_read(checks[-1:], columns) == ["partner_id"]
    table_wide = gx_runner.Check(gxe.ExpectTableColumnCountToEqual(value=6))
    assert gx_runner.mart_columns_read([*checks, table_wide], columns) == columns
    conditional = gx_runner.between(
        "a", 0, 1, row_condition='col("unchecked") > 0', condition_parser="great_expectations"
    )
    assert gx_runner.mart_columns_read([*checks, conditional], columns) == columns


def test_ranges_are_generated_from_the_model_yaml():
    """A rate's [0, 1] is declared once, in the column's meta in the model YAML, and becomes a GE expectation."""
    models = gx_runner.DbtModels.load(MANIFEST)
    assert models.column_meta("fct_program_kpis_monthly")["churn_rate"] == {"range": [0, 1]}
    assert models.column_meta("fct_partner_monthly")["refunds_reporting"] == {"range": [0, None]}
    checks = gx_runner.generated_checks(models, "fct_program_kpis_monthly", ["churn_rate", "as_of_date"])
    ranges = {
        c.expectation.column: (c.expectation.min_value, c.expectation.max_value)
        for c in checks
        if c.expectation.expectation_type == "expect_column_values_to_be_between"
    }
    assert ranges["churn_rate"] == (0, 1) and ranges["net_revenue_retention"] == (0, None)
    singles = [c.expectation.column for c in checks if "unique_value_count" in c.expectation.expectation_type]
    assert singles == ["as_of_date"]
    # An empty event mart (no blocked payouts at all) has no as_of_date to hold once; its ranges still apply.
    empty = gx_runner.generated_checks(models, "fct_payouts_blocked_monthly", ["as_of_date"], empty=True)
    assert [c.expectation.expectation_type for c in empty] == ["expect_column_values_to_be_between"] * 2


def test_suites_name_no_relation_and_read_only_upstream_models(published_pipeline: PipelineDirs, tmp_path: Path):
    """Suites read `{mart}` and `{ref[model]}`; a model the mart does not depend on is refused by name."""
    relation_literal = re.compile(r"\b(raw|staging|intermediate|marts)\.\w+")
    for suite in sorted(gx_runner.EXPECTATIONS_DIR.glob("*__publish.py")):
        assert not relation_literal.search(suite.read_text()), f"{suite.name} names a schema.table; use {{ref[model]}}"
    (tmp_path / "dim_partners__publish.py").write_text(
        'BATCHES = {"kpis": "select count(*) as months from {ref[fct_program_kpis_monthly]}"}\n'
    )
    with (
        duckdb.connect(str(published_pipeline.work_db), read_only=True) as con,
        pytest.raises(ValueError, match="'fct_program_kpis_monthly', which is not upstream of dim_partners"),
    ):
        gx_runner.run_suite(con, "dim_partners", expectations_dir=tmp_path)


def test_rules_owned_by_dbt_fail_in_dbt_not_in_the_suites(published_pipeline: PipelineDirs, tmp_path: Path):
    """Filled columns, partner uniqueness, a two-column key's uniqueness, S + N - churned + reactivated = E, the
    bridge identity, one segment per partner, the refund policy's values and the build's period grain: dbt tests
    fail, suites pass."""
    dirs = clone(published_pipeline, tmp_path / "dbt_owned")
    latest = "(select max(month_start_date) from marts.fct_program_kpis_monthly)"
    corrupt(
        dirs,
        "insert into marts.dim_partners select * from marts.dim_partners order by partner_id limit 1",
        f"update marts.fct_program_kpis_monthly set partners_end_count = partners_end_count + 1 "
        f"where month_start_date = {latest}",
        "update marts.fct_retention_monthly set partners_end_count = partners_end_count + 1 "
        "where retention_id = (select min(retention_id) from marts.fct_retention_monthly)",
        "update marts.fct_revenue_bridge_monthly set new_reporting = new_reporting + 1 "
        "where partner_month_id = (select min(partner_month_id) from marts.fct_revenue_bridge_monthly)",
        "update marts.fct_partner_segments_monthly set is_strategic = true, is_perspective = true "
        "where partner_month_id = (select min(partner_month_id) from marts.fct_partner_segments_monthly)",
        f"update {FACTS} set refund_policy = 'whenever' "
        "where partner_month_id = (select min(partner_month_id) from marts.fct_partner_monthly)",
        # Two empty cells of one column and one of another, in two rows: three failures, one test.
        f"update {TIERS} set tier_movement = null "
        "where partner_month_id in (select partner_month_id from marts.fct_partner_tiers_monthly order by 1 limit 2)",
        f"update {TIERS} set as_of_date = null "
        "where partner_month_id = (select min(partner_month_id) from marts.fct_partner_tiers_monthly)",
        # A key of two columns (partner x period): one key three times, another twice: two duplicated keys.
        "insert into intermediate.int_partner_months_revenue select * from intermediate.int_partner_months_revenue "
        "order by partner_id, month_start_date limit 2",
        "insert into intermediate.int_partner_months_revenue select * from intermediate.int_partner_months_revenue "
        "order by partner_id, month_start_date limit 1",
        # Two rows of a grain the project accepts but this build (month) did not make.
        "update marts.fct_partner_scorecard_monthly set period_grain = 'quarter' where partner_month_id in "
        "(select partner_month_id from marts.fct_partner_scorecard_monthly order by 1 limit 2)",
    )
    refund_policy_test = "accepted_values_fct_partner_monthly_refund_policy__refund_period__sale_period"
    grain_test = "is_the_period_grain_fct_partner_scorecard_monthly_period_grain"
    tests = [
        "not_null_columns_fct_partner_tiers_monthly",
        "unique_dim_partners_partner_id",
        "unique_columns_int_partner_months_revenue",
        "assert_retention_counts_balance",
        "assert_revenue_bridge_balances",
        "assert_partner_is_in_at_most_one_segment",
        refund_policy_test,
        grain_test,
    ]
    dbt = dbt_on(dirs.work_db, tmp_path / "dbt", "test", {}, " ".join(tests))
    assert dbt.returncode == 1, dbt.stdout[-4000:]
    results = json.loads((tmp_path / "dbt" / "target" / "run_results.json").read_text())["results"]
    # Tests only: the project's on-run-start hook (it creates the predictive tables) is in run_results too.
    tests_run = [r for r in results if r["unique_id"].startswith("test.")]
    failures = {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in tests_run}
    # One duplicated partner; one retention row and one KPI month off balance; one partner-month bridge open.
    assert failures == {
        "not_null_columns_fct_partner_tiers_monthly": ("fail", 3),
        "unique_dim_partners_partner_id": ("fail", 1),
        "unique_columns_int_partner_months_revenue": ("fail", 2),
        "assert_retention_counts_balance": ("fail", 2),
        "assert_revenue_bridge_balances": ("fail", 1),
        "assert_partner_is_in_at_most_one_segment": ("fail", 1),
        refund_policy_test: ("fail", 1),
        grain_test: ("fail", 2),
    }
    for mart in (
        "dim_partners",
        "fct_program_kpis_monthly",
        "fct_retention_monthly",
        "fct_revenue_bridge_monthly",
        "fct_partner_segments_monthly",
        "fct_partner_monthly",
        "fct_partner_scorecard_monthly",
    ):
        result = run_gate(dirs, mart)
        assert result.passed, result.summary()


def test_a_changed_column_type_fails_the_dbt_contract(published_pipeline: PipelineDirs, tmp_path: Path):
    """Names and types are the model contract's: a mart whose SQL changes a column's type is not built."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models" / "marts" / "core" / "fct_partner_monthly.sql").write_text(
        "select * replace (cast(leads_created as double) as leads_created)\n"
        "from {{ ref('int_partner_months_aggregated') }}\n"
    )
    dirs = clone(published_pipeline, tmp_path / "contract")
    leads_type = (
        "select data_type from information_schema.columns "
        "where table_name = 'fct_partner_monthly' and column_name = 'leads_created'"
    )
    dbt = dbt_on(dirs.work_db, tmp_path / "dbt", "run", {}, "fct_partner_monthly", project_dir=project)
    assert dbt.returncode == 1
    assert "enforced contract that failed" in dbt.stdout, dbt.stdout[-4000:]
    assert re.search(r"\| leads_created \| DOUBLE +\| BIGINT +\| data type mismatch \|", dbt.stdout)
    assert query(dirs.work_db, leads_type) == [("BIGINT",)]  # the mart was not replaced


def test_a_window_run_tests_the_rows_of_its_periods_and_a_run_without_one_every_row(
    published_pipeline: PipelineDirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Data tests in a window run (the nightly) read the periods from the window's first one on; earlier periods
    were tested when they were built, and a run without a window or a full refresh (the weekly) reads every row
    (macro get_where_subquery, docs/quality.md)."""
    dirs = clone(published_pipeline, tmp_path / "scoped")
    months = query(dirs.work_db, "select min(month_start_date), max(month_start_date) from marts.fct_partner_monthly")
    first, last = months[0]
    assert first < last
    old_row = f"(select min(partner_month_id) from marts.fct_partner_monthly where month_start_date = '{first}')"
    new_row = f"(select min(partner_month_id) from marts.fct_partner_monthly where month_start_date = '{last}')"
    test = "accepted_values_fct_partner_monthly_refund_policy__refund_period__sale_period"
    # A test on a staging model, which has no contract: its columns come from the database, not the project.
    staged = "not_null_columns_stg_program__transactions"
    # The window as a Dagster run passes it (environment variables; one parse serves the three runs).
    window = {
        "PRA_DBT_PARTITIONED": "true",
        "PRA_DBT_MIN_DATE": last.isoformat(),
        "PRA_DBT_MAX_DATE": (last + timedelta(days=1)).isoformat(),
    }

    def failures(in_window: bool) -> tuple[int, dict[str, str]]:
        """The mart test's failures, and the SQL each test ran by test name."""
        for name, value in window.items():
            if in_window:
                monkeypatch.setenv(name, value)
            else:
                monkeypatch.delenv(name, raising=False)
        dbt = dbt_on(dirs.work_db, tmp_path / "dbt", "test", {}, f"{test} {staged}")
        results = json.loads((tmp_path / "dbt" / "target" / "run_results.json").read_text())["results"]
        ran = {r["unique_id"].split(".")[2]: r for r in results if r["unique_id"].startswith("test.")}
        assert dbt.returncode == (1 if ran[test]["failures"] else 0), dbt.stdout[-4000:]
        return ran[test]["failures"], {name: r["compiled_code"] for name, r in ran.items()}

    corrupt(dirs, f"update {FACTS} set refund_policy = 'whenever' where partner_month_id = {old_row}")
    assert failures(in_window=True)[0] == 0  # a period before the window: not read
    assert failures(in_window=False)[0] == 1  # every row
    corrupt(dirs, f"update {FACTS} set refund_policy = 'whenever' where partner_month_id = {new_row}")
    found, compiled = failures(in_window=True)
    assert found == 1
    assert f"month_start_date >= cast(date_trunc('month', cast('{last}' as date)) as date)" in compiled[test]
    assert f"_partition_date >= cast('{last}' as date)" in compiled[staged]


def test_a_window_run_gates_each_row_of_its_periods_and_the_whole_table(
    published_pipeline: PipelineDirs, tmp_path: Path
):
    """The gates of a window run check each row of the periods its dbt tests read (from the window's first period
    on), and the table as a whole (row count, one as-of date) on every row; without a window, every row. Through
    Dagster, the rows are those the run's dbt step recorded (docs/quality.md)."""
    dirs = clone(published_pipeline, tmp_path / "scoped")
    mart = "fct_partner_monthly"
    periods = f"select min(month_start_date), max(month_start_date), count(*) from marts.{mart}"
    [(first, last, rows)] = query(dirs.work_db, periods)
    [(in_last,)] = query(dirs.work_db, f"select count(*) from marts.{mart} where month_start_date = '{last}'")
    assert first < last and 0 < in_last < rows
    window_start = last + timedelta(days=3)  # inside the last period: that period is checked whole
    row_of = f"(select min(partner_month_id) from marts.{mart} where month_start_date = '{{}}')"
    old, new = row_of.format(first), row_of.format(last)

    def failed(checked_from=None) -> set[str]:
        return failed_names(run_gate(dirs, mart, checked_from=checked_from))

    negative_refunds = "expect_column_values_to_be_between(refunds_reporting)"
    corrupt(dirs, f"update {FACTS} set refunds_reporting = -1 where partner_month_id = {old}")
    scoped = run_gate(dirs, mart, checked_from=window_start)
    assert scoped.passed, scoped.summary()  # a period before the window: its rows are not read one by one
    assert f"the {in_last:,} of {rows:,} in the periods from {window_start} on" in " ".join(scoped.notes)
    assert negative_refunds in failed()
    # The same through Dagster: with the tag a window run's first dbt step sets, then without (no dbt step).
    assert gate_and_publish(dirs, tags=checked_from_tags("dbt_models", window_start, full_refresh=False)).success
    refused = gate_and_publish(dirs, marts=[mart])
    assert (f"{mart}__publish", False) in {(c.check_name, c.passed) for c in refused.get_asset_check_evaluations()}

    corrupt(dirs, f"update {FACTS} set refunds_reporting = -1 where partner_month_id = {new}")
    assert negative_refunds in failed(window_start)  # a row of the window's period
    # The table as a whole, on every row: one as-of date, and the row count against the last published version.
    corrupt(dirs, f"update {FACTS} set refunds_reporting = 0 where refunds_reporting = -1")
    corrupt(dirs, f"update {FACTS} set as_of_date = as_of_date - 1 where partner_month_id = {old}")
    assert failed(window_start) == {"expect_column_unique_value_count_to_be_between(as_of_date)"}
    corrupt(dirs, f"update {FACTS} set as_of_date = as_of_date + 1 where partner_month_id = {old}")
    corrupt(dirs, f"delete from {FACTS} where month_start_date < '{last}'")
    assert "expect_table_row_count_to_be_between" in failed(window_start)


def test_the_gates_bench_runs_every_suite_and_grows_only_the_marts(published_pipeline: PipelineDirs, capsys):
    """`python -m bench.gates_alone`: on the run's own work file every suite runs and passes, also as a window run's
    gates (`--checked-from`); grown twice over,
    the marts hold twice their partners while the staged money does not, so a revenue mart's reconciliation
    fails, as its docstring says it must. fct_partner_monthly is a view in the work file: it grows all the same."""
    from bench import gates_alone

    rows = "select count(*) from marts.fct_partner_monthly"
    before = query(published_pipeline.work_db, rows)
    assert gates_alone.main(["--work-db", str(published_pipeline.work_db)]) == 0
    same = json.loads(capsys.readouterr().out)
    assert (same["suites"], same["checked_from"], same["failed"]) == (len(published_marts()), "all", [])
    ((last_period,),) = query(published_pipeline.work_db, "select max(month_start_date) from marts.fct_partner_monthly")
    assert gates_alone.main(["--work-db", str(published_pipeline.work_db), "--checked-from", str(last_period)]) == 0
    window = json.loads(capsys.readouterr().out)  # as a window run's gates: its last period row by row
    assert (window["checked_from"], window["failed"]) == (str(last_period), [])
    assert gates_alone.main(["--work-db", str(published_pipeline.work_db), "--copies", "2"]) == 0
    grown = json.loads(capsys.readouterr().out)
    assert "fct_partner_monthly" in grown["failed"]
    assert query(published_pipeline.work_db, rows) == before  # grown in a copy
