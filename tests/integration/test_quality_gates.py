"""The publish gates both ways: healthy marts pass; each corrupted mart fails its named expectation, unpublished.

Corruptions are applied with SQL to a clone of a healthy, already published warehouse; the gates and the
publication step then run through Dagster (dbt is not re-run, so each case takes a few seconds).
"""

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import gx_runner
from orchestration.lib.publish import marts_from_manifest, previous_for, read_log
from tests.helpers import PipelineDirs
from tests.integration import wap_helpers
from tests.integration.wap_helpers import (
    clone,
    gate_and_publish,
    sha256,
    stable_db,
)

# The shared session fixtures (one landing folder, one published pipeline run).
published_pipeline = wap_helpers.published_pipeline
wap_landing = wap_helpers.wap_landing

MANIFEST = Path(__file__).resolve().parents[2] / "dbt_project" / "target" / "manifest.json"


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
    marts = marts_from_manifest(MANIFEST)
    assert {"dim_partners", "fct_partner_monthly"} <= set(marts)
    missing = [m for m in marts if not gx_runner.suite_path(m).exists()]
    assert missing == [], f"no suite, no publish: add expectations/<mart>__publish.py for {missing}"


def test_healthy_marts_pass_every_suite(published_pipeline: PipelineDirs):
    for mart in marts_from_manifest(MANIFEST):
        result = run_gate(published_pipeline, mart)
        assert result.passed, result.summary()
        # Compared with version 1 of the same data: the volume expectations ran and passed.
        assert any(o.batch == "key_metrics" for o in result.outcomes) or not result.key_metrics


def test_a_mart_without_a_suite_fails(published_pipeline: PipelineDirs, tmp_path: Path):
    with duckdb.connect(str(published_pipeline.work_db), read_only=True) as con:
        result = gx_runner.run_suite(con, "dim_partners", expectations_dir=tmp_path)
    assert not result.passed and result.missing_suite
    assert "no suite, no publish" in result.summary()


def half_of_partners(table: str) -> str:
    return (
        f"delete from marts.{table} where partner_id in (select partner_id from marts.dim_partners "
        "order by partner_id limit (select count(*) // 2 from marts.dim_partners))"
    )


# (name, mart, SQL that corrupts the work warehouse, the expectation that must fail)
CORRUPTIONS = [
    (
        "duplicated_revenue",
        "fct_partner_monthly",
        [
            "insert into marts.fct_partner_monthly select * from marts.fct_partner_monthly "
            "where net_revenue_reporting > 0 order by partner_month_id limit 3"
        ],
        "expect_column_values_to_be_between(difference_reporting)",
    ),
    (
        "column_dropped",
        "dim_partners",
        ["alter table marts.dim_partners drop column region"],
        "expect_table_columns_to_match_ordered_list",
    ),
    (
        "column_type_changed",
        "fct_partner_monthly",
        ["alter table marts.fct_partner_monthly alter column leads_created type double"],
        "expect_column_distinct_values_to_equal_set(column_signature)",
    ),
    (
        "half_the_partners_gone",
        "dim_partners",
        [half_of_partners("dim_partners")],
        "expect_table_row_count_to_be_between",
    ),
    (
        "half_the_partners_gone_from_the_facts",
        "fct_partner_monthly",
        [half_of_partners("fct_partner_monthly")],
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
        ["update marts.fct_partner_monthly set refunds_reporting = -refunds_reporting where refund_count > 0"],
        "expect_column_values_to_be_between(refunds_reporting)",
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

    run = gate_and_publish(dirs)
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
    corrupt(dirs, half_of_partners("dim_partners"))
    assert not run_gate(dirs, "dim_partners").passed
    result = run_gate(dirs, "dim_partners", allow_volume_jump=True)
    assert result.passed and "allow_volume_jump" in " ".join(result.notes)


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

    run = gate_and_publish(dirs, PRA_ALLOW_VOLUME_JUMP="1")
    assert run.success
    checks = {c.check_name: c for c in run.get_asset_check_evaluations()}
    assert not checks["dim_partners__publish_warnings"].passed
    assert checks["dim_partners__publish_warnings"].severity.value == "WARN"
    assert [e["version"] for e in read_log(dirs.warehouse / "published")] == [1, 2]


def test_report_names_the_failed_expectation_with_failing_rows(published_pipeline: PipelineDirs, tmp_path: Path):
    dirs = clone(published_pipeline, tmp_path / "report")
    corrupt(
        dirs,
        "update marts.fct_partner_monthly set gross_revenue_reporting = -1 "
        "where partner_month_id in (select min(partner_month_id) from marts.fct_partner_monthly)",
    )
    run = gate_and_publish(dirs)
    evaluation = next(c for c in run.get_asset_check_evaluations() if c.check_name == "fct_partner_monthly__publish")
    report = Path(evaluation.metadata["report"].value)
    html = report.read_text()
    assert "fct_partner_monthly__publish: FAILED" in html
    assert "expect_column_values_to_be_between" in html and "gross_revenue_reporting" in html
    detail = json.loads((report.parent / "fct_partner_monthly__publish.json").read_text())
    bad = [o for o in detail["outcomes"] if not o["success"]]
    assert bad[0]["failing_rows"][0]["gross_revenue_reporting"] == -1
    assert "gross_revenue_reporting" in evaluation.metadata["details"].value
