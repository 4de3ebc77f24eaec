"""A broken export stops publication: a partners snapshot that halves fails the blocking volume check at ingestion,
names the file and the counts (also in the alert), keeps the published version; the operator's override lets a
real mass change through and is remembered."""

from datetime import date

import dagster as dg
import pytest

from orchestration.defs.alerts import alert_text
from orchestration.lib.publish import current_entry, read_log
from tests.helpers import PipelineDirs, query, run_pipeline
from tests.integration.test_ingestion import PARTNER_HEADER, TX_HEADER, write_csv

DAY1, DAY2 = date(2024, 1, 1), date(2024, 1, 2)


def partner(i: int) -> str:
    return f"P{i},Partner {i},p{i}@example.com,2023-12-01,NA,US,affiliate,,,Bob,active,,,2024-01-01T00:00:00+00:00"


def volume_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and e.event_specific_data.check_name == "snapshot_volume"
    ]
    return evaluation


def live_version(dirs: PipelineDirs) -> int:
    return current_entry(read_log(dirs.warehouse / "published"))["version"]


@pytest.fixture(scope="module")
def halved(tmp_path_factory: pytest.TempPathFactory):
    """80 partners on day 1 (published), then a day-2 export with only the first 40: refused, then accepted."""
    dirs = PipelineDirs(tmp_path_factory.mktemp("volume"))
    write_csv(dirs.landing, "partners", DAY1.isoformat(), PARTNER_HEADER, [partner(i) for i in range(1, 81)])
    write_csv(
        dirs.landing, "transactions", DAY1.isoformat(), TX_HEADER,
        [f"T{i},P{i},C{i},2024-01-01T10:00:00+00:00,sale,10.00,USD,1.00,,widget" for i in range(1, 6)],
    )
    write_csv(dirs.landing, "transactions", DAY2.isoformat(), TX_HEADER, [])
    good = run_pipeline(dirs, DAY1, DAY1)
    assert good.success
    version_before = live_version(dirs)

    write_csv(dirs.landing, "partners", DAY2.isoformat(), PARTNER_HEADER, [partner(i) for i in range(1, 41)])
    refused = run_pipeline(dirs, DAY2, DAY2)
    version_after_refusal = live_version(dirs)
    accepted = run_pipeline(dirs, DAY2, DAY2, accept_mass_change=True)
    version_after_override = live_version(dirs)
    nightly_again = run_pipeline(dirs, DAY2, DAY2)  # the next run's window still holds day 2: accepted before
    return dirs, good, refused, accepted, nightly_again, (version_before, version_after_refusal, version_after_override)


def test_a_good_run_passes_the_volume_checks(halved):
    _, good, *_ = halved
    check = volume_check(good)
    assert check.passed
    assert check.description.startswith("1 day(s) of partners judged")


def test_a_halved_snapshot_fails_naming_the_file_and_counts_and_keeps_the_published_version(halved):
    dirs, _, refused, _, _, (before, after_refusal, _) = halved
    assert not refused.success
    check = volume_check(refused)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    expected = "partners/dt=2024-01-02/partners.csv: 40 rows, previous snapshot dt=2024-01-01 had 80 (-50 %)"
    assert check.description.startswith(expected)
    assert "--accept-mass-change" in check.description
    # Nothing after ingestion ran: dbt did not build, nothing was published.
    steps = {e.step_key for e in refused.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    assert steps == set()
    # A failed check is not transient: the step's retry policy does not load the same files again.
    assert not [e for e in refused.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert after_refusal == before
    # The alert (sensor and `pra run` build it the same way) carries the check's text.
    text = alert_text(refused.run_id, "partner_retention_nightly_job", refused.all_events, "http://ui:3000")
    assert f"failed blocking check(s): raw/partners:snapshot_volume ({expected}" in text


def test_the_override_publishes_a_real_mass_change_and_later_runs_remember_it(halved):
    dirs, _, _, accepted, nightly_again, (before, _, after_override) = halved
    assert accepted.success
    assert after_override == before + 1
    assert "accepted mass change(s): partners/dt=2024-01-02/partners.csv: 40 rows" in volume_check(accepted).description
    assert query(dirs.work_db, "select entity, partition_date, row_count from ingestion.accepted_volume_changes") == [
        ("partners", DAY2, 40)
    ]
    assert nightly_again.success and volume_check(nightly_again).passed
