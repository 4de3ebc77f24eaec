"""The default instance storage (deploy/dagster-sqlite.yaml, orchestration/lib/dagster_storage.py): Dagster's own
folders and files, events readable by another instance while the writer stays open, and the UI's live view of a run
still woken by each write (Dagster's file watcher on the run's database)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from orchestration.lib.dagster_storage import PooledSqliteEventLogStorage, write_instance_config
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
