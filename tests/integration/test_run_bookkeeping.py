"""A range run's bookkeeping stays O(assets + checks), not O((assets + checks) x days).

Dagster 1.13 gives a run a stored partition subset from the asset of the last step by step-key order, and
then plans every asset check of the run once per partition in that subset, although no check here is
partitioned. For a three-year history load that was 150 checks x 1,096 days = 164k stored rows and about
33 s before the first step (docs/benchmarks.md). The ingestion step is named so that the unpartitioned
publication step sorts last; these tests fail if that stops working (a rename, or a Dagster upgrade that
changes the rule), before anyone has to notice it in `make bench`.

Only the run is created (that is where the planning happens); nothing executes.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
import pytest

from orchestration.lib.dagster_storage import DAGSTER_ENV
from orchestration.lib.windows import range_tags
from tests.helpers import PipelineDirs, environ

FIRST, LAST = date(2024, 1, 1), date(2024, 1, 31)  # 31 daily partitions


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory):
    """A run of the nightly job for a 31-day range, created (and planned) on a fresh instance."""
    from orchestration.definitions import defs

    dirs = PipelineDirs(tmp_path_factory.mktemp("bookkeeping"))
    # As `pra`, the Makefile and the bench run it: one planned event per asset for the whole range.
    with environ({**dirs.env(), **DAGSTER_ENV}):
        job = defs().resolve_job_def("partner_retention_nightly_job")
        instance = dg.DagsterInstance.ephemeral()
        run = instance.create_run_for_job(job, tags=range_tags(FIRST, LAST))
        yield job, instance, run


def test_run_carries_its_range_as_tags_not_as_a_per_check_subset(planned) -> None:
    job, _, run = planned
    assert run.tags["dagster/asset_partition_range_start"] == "2024-01-01"
    assert run.tags["dagster/asset_partition_range_end"] == "2024-01-31"
    assert run.partitions_subset is None
    steps = sorted(node.name for node in job.nodes_in_topological_order)
    assert steps[-1] == "published_marts", steps


def test_every_check_is_planned_once_per_run(planned) -> None:
    job, instance, run = planned
    check_keys = list(job.asset_layer.asset_graph.asset_check_keys)
    assert len(check_keys) > 100  # the dbt tests and the publish gates
    for key in check_keys:
        records = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
        assert [(r.run_id, r.partition) for r in records] == [(run.run_id, None)], key


def test_raw_assets_are_still_planned_for_exactly_the_range(planned) -> None:
    _, instance, run = planned
    events = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ).records
    raw = [e.event_log_entry.dagster_event.event_specific_data for e in events]
    raw = [d for d in raw if d.asset_key.path[0] == "raw"]
    assert {d.asset_key.path[1] for d in raw} == {
        "partners", "transactions", "leads", "fx_rates", "payouts", "nps_responses", "interactions",
        "traffic_daily", "partner_targets",
    }
    for data in raw:
        keys = data.partitions_subset.get_partition_keys()
        assert (keys[0], keys[-1], len(keys)) == ("2024-01-01", "2024-01-31", 31), data.asset_key
