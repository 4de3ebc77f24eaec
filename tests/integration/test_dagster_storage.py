"""The default instance storage (deploy/dagster-sqlite.yaml, orchestration/lib/dagster_storage.py): Dagster's own
folders and files, events readable by another instance while the writer stays open, and the UI's live view of a run
still woken by each write (Dagster's file watcher on the run's database)."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from orchestration.defs.ingestion.assets import build_ingestion_assets
from orchestration.defs.partitions import build_daily_partitions
from orchestration.defs.resources import WarehouseResource
from orchestration.lib.contract import ENTITIES
from orchestration.lib.dagster_storage import (
    DAGSTER_ENV,
    PooledSqliteEventLogStorage,
    ephemeral_instance,
    write_instance_config,
)
from orchestration.lib.windows import range_tags
from tests.helpers import environ

REPO = Path(__file__).resolve().parents[2]
RUN_ID = "0f0f0f0f-0000-4000-8000-000000000001"


def _materialization(day: int) -> EventLogEntry:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="partner_retention_nightly_job",
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(asset_key=["raw", "transactions"], partition=f"2024-01-{day:02d}")
        ),
    )
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message="",
        run_id=RUN_ID,
        timestamp=time.time(),
        dagster_event=event,
        job_name="partner_retention_nightly_job",
    )


def test_committed_storage_keeps_dagsters_layout_and_readers_see_every_write(tmp_path):
    home = tmp_path / "dagster_home"
    write_instance_config(home, "sqlite")  # as `make dev` and `pra` write it
    with environ({"DAGSTER_HOME": str(home)}):
        writer = dg.DagsterInstance.from_config(str(home))
        reader = dg.DagsterInstance.from_config(str(home))
    try:
        assert isinstance(writer.event_log_storage, PooledSqliteEventLogStorage)
        woken: list[str] = []
        wake = threading.Event()

        def on_event(entry: EventLogEntry, _cursor: str) -> None:
            woken.append(entry.dagster_event.partition)
            if len(woken) == 31:
                wake.set()

        # What the UI does for a run page: watch the run's events through Dagster's file watcher.
        reader.event_log_storage.watch(RUN_ID, None, on_event)
        time.sleep(0.5)  # the watcher is scheduled
        for day in range(1, 32):
            writer.event_log_storage.store_event(_materialization(day))
        # Dagster's default files: one database per run plus the cross-run index, under history/runs.
        assert (home / "history" / "runs" / f"{RUN_ID}.db").exists()
        assert (home / "history" / "runs" / "index.db").exists()
        # Another instance (the UI's process) reads all 31 while the writer's connections stay open.
        records = reader.fetch_materializations(dg.AssetKey(["raw", "transactions"]), limit=100).records
        assert sorted(r.partition_key for r in records) == [f"2024-01-{d:02d}" for d in range(1, 32)]
        assert reader.get_materialized_partitions(dg.AssetKey(["raw", "transactions"])) == {
            f"2024-01-{d:02d}" for d in range(1, 32)
        }
        # The live view was woken and saw every event, in order, without a checkpoint or a closed connection.
        assert wake.wait(20), f"the run watcher saw {len(woken)} of 31 events"
        assert woken == [f"2024-01-{d:02d}" for d in range(1, 32)]
    finally:
        writer.dispose()
        reader.dispose()


def _stored(instance: dg.DagsterInstance) -> dict:
    """What the UI and the asset pages read back of the run's materializations of raw.transactions."""
    key = dg.AssetKey(["raw", "transactions"])
    records = instance.fetch_materializations(key, limit=100).records
    latest = instance.get_latest_materialization_event(key)
    return {
        "partitions_newest_first": [r.partition_key for r in records],
        "materialized": sorted(instance.get_materialized_partitions(key)),
        "latest": (latest.run_id, latest.dagster_event.partition),
        "run_events": len(instance.all_logs(RUN_ID)),
        "asset_keys": [k.to_user_string() for k in instance.all_asset_keys()],
    }


@pytest.mark.parametrize("storage", ["sqlite", "in_memory"])
def test_a_batch_of_a_ranged_steps_events_stores_what_event_by_event_stores(tmp_path, storage):
    """31 daily materializations of one asset, stored one by one or as one batch, read back the same."""
    events = [_materialization(day) for day in range(1, 32)]
    instances = []
    for name in ("one_by_one", "batch"):
        if storage == "sqlite":
            home = tmp_path / name
            write_instance_config(home, "sqlite")
            with environ({"DAGSTER_HOME": str(home)}):  # the committed config places the storage there
                instances.append(dg.DagsterInstance.from_config(str(home)))
        else:
            instances.append(ephemeral_instance())
    one_by_one, batch = instances
    try:
        for event in events:
            one_by_one.event_log_storage.store_event(event)
        batch.event_log_storage.store_event_batch(events)
        expected = _stored(one_by_one)
        assert expected["partitions_newest_first"] == [f"2024-01-{d:02d}" for d in range(31, 0, -1)]
        assert expected["latest"] == (RUN_ID, "2024-01-31")
        assert expected["run_events"] == 31
        assert _stored(batch) == expected
    finally:
        one_by_one.dispose()
        batch.dispose()


def test_a_range_run_hands_the_storage_one_batch_per_raw_asset(tmp_path):
    """What `pra run` does for a history load: each raw asset's days reach the storage as one write, not one each."""
    landing = tmp_path / "landing"
    header = ",".join(ENTITIES["transactions"].columns)
    for day in range(1, 11):
        folder = landing / "transactions" / f"dt=2024-01-{day:02d}"
        folder.mkdir(parents=True)
        (folder / "transactions.csv").write_text(header + "\n")  # a header alone: a day without sales
    home = tmp_path / "dagster_home"
    write_instance_config(home, "sqlite")
    warehouse = WarehouseResource(landing_dir=str(landing), warehouse_dir=str(tmp_path / "wh"))
    with environ({"DAGSTER_HOME": str(home), **DAGSTER_ENV}):
        instance = dg.DagsterInstance.from_config(str(home))
        storage = instance.event_log_storage
        batches: list[list[str]] = []  # the batches of materializations
        single: list[str] = []
        store_event, store_event_batch = storage.store_event, storage.store_event_batch

        def spy_single(event):
            single.append(event.dagster_event_type)
            store_event(event)

        def spy_batch(events):
            if {e.dagster_event_type for e in events} == {dg.DagsterEventType.ASSET_MATERIALIZATION}:
                batches.append([e.dagster_event.partition for e in events])
            store_event_batch(events)

        storage.store_event, storage.store_event_batch = spy_single, spy_batch
        try:
            result = dg.materialize(
                [build_ingestion_assets(build_daily_partitions(date(2020, 1, 1)))],
                tags=range_tags(date(2024, 1, 1), date(2024, 1, 10)),
                resources={"warehouse": warehouse},
                selection=[dg.AssetKey(["raw", "transactions"])],
                instance=instance,
            )
            assert result.success
            days = [f"2024-01-{d:02d}" for d in range(1, 11)]
            assert batches == [days]
            assert dg.DagsterEventType.ASSET_MATERIALIZATION not in single
            assert instance.get_materialized_partitions(dg.AssetKey(["raw", "transactions"])) == set(days)
        finally:
            instance.dispose()
