"""Dagster's SQLite instance storage, with the event log's connections kept open between writes.

Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine and opens (and closes) a new SQLite connection for
every statement it stores: about 15-30 ms per asset event on these machines, most of it engine set-up and the
checkpoint a closing WAL connection does. A history load stores one materialization per raw asset and day (about
7,700 on the demo preset), so a recorded `pra demo` spent about two minutes in it (docs/benchmarks.md).

`PooledSqliteStorage` is Dagster's default storage (`DagsterSqliteStorage`: same folders, same files, same schema)
whose event log keeps one engine per database file with a connection pool, and writes with `synchronous=NORMAL`
(the files are already in WAL mode): a crash of the process loses nothing committed; a power cut can lose the
last events, never corrupt the file. One thing Dagster relied on the closing connection for: the UI follows a
run's live events by watching the run's `.db` file for changes, which a WAL write does not touch until a
checkpoint. So each write to a run's file touches its modification time.

A ranged step (a history load) stores one materialization per asset and day. With DAGSTER_EVENT_BATCH_SIZE set
(DAGSTER_ENV), Dagster hands those of one asset over as one batch, and `store_event_batch` writes it in two
transactions instead of two per event; `ephemeral_instance` is Dagster's throwaway in-memory instance with the same
batch write. The stored rows are those of event-by-event writes (tests/integration/test_dagster_storage.py).

Enabled by deploy/dagster-sqlite.yaml (`storage: custom:`); PostgreSQL storage (deploy/dagster-postgres.yaml,
docs/scale-out.md) does not need it; for it, `make dagster-home` and `pra` also create Dagster's tables and the
pool's row (`prepare_postgres_instance`). `instance_config` is the one place that puts an instance's dagster.yaml
together: `python -m orchestration.lib.dagster_storage <home> [sqlite|postgres]` (`make dagster-home`) and `pra`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy
import yaml
from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.base import EventLogCursor
from dagster._core.storage.event_log.in_memory import InMemoryEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData

PROJECT_DIR = Path(__file__).resolve().parents[2]
# DAGSTER_STORAGE values: each is a file deploy/dagster-<storage>.yaml holding only a `storage:` block.
STORAGES = ("sqlite", "postgres")

# Dagster settings that exist only as environment variables, for every run `pra`, the bench and the tests start
# (`use_dagster_env`). The Makefile exports the same for `make dev`, whose webserver and daemon create runs without
# importing this project (tests/unit/test_dagster_home.py keeps the two the same).
DAGSTER_ENV = {
    # One "planned" event per asset for a single-run range instead of one per day (docs/operations.md).
    "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true",
    # A ranged step's materializations, one per asset and day, reach the storage as one batch per asset
    # (`store_event_batch` below) instead of one write each (docs/operations.md).
    "DAGSTER_EVENT_BATCH_SIZE": "1000",
}

# The events a batch written together may hold; any other batch is stored event by event, as Dagster does.
BATCHED_KINDS = frozenset({DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_OBSERVATION})


def use_dagster_env() -> None:
    """Set DAGSTER_ENV in this process where the environment does not say otherwise."""
    for name, value in DAGSTER_ENV.items():
        os.environ.setdefault(name, value)


def _batchable(events: Sequence[EventLogEntry]) -> bool:
    kinds = {event.dagster_event_type for event in events}
    return bool(events) and kinds <= BATCHED_KINDS and len({event.run_id for event in events}) == 1


def _index_asset_events(storage: Any, conn: sqlalchemy.Connection, events: Sequence[EventLogEntry], ids: list) -> None:
    """The index rows of stored asset events: every event's tags, and each asset's entry from its last event.

    Event by event, Dagster rewrites an asset's entry (its last materialization) with each one; the last write wins,
    so writing it once from the batch's last event leaves the same row (Dagster's PostgreSQL storage does the same).
    """
    storage._store_asset_event_tags(conn, events, ids)
    last = {event.dagster_event.asset_key: (event, event_id) for event, event_id in zip(events, ids, strict=True)}
    for event, event_id in last.values():
        storage._store_asset_event(conn, event, event_id)


# Engines kept open per process: the index, the runs being written and a few read by the UI.
MAX_OPEN_SHARDS = 16


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one pooled engine per shard (run file or index) instead of one per statement."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._engines: OrderedDict[str, sqlalchemy.Engine] = OrderedDict()

    def _engine(self, shard: str) -> sqlalchemy.Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = sqlalchemy.create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            sqlalchemy.event.listen(engine, "connect", _sqlite_pragmas)
            while len(self._engines) >= MAX_OPEN_SHARDS:
                self._engines.popitem(last=False)[1].dispose()
        self._engines[shard] = engine  # most recently used last
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sqlalchemy.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn
            if shard != INDEX_SHARD_NAME:
                # The UI's watcher of this run reacts to the file's modification (see the module docstring).
                path = self.path_for_shard(shard)
                if os.path.exists(path):
                    os.utime(path)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """A ranged step's materializations of one asset in two transactions (the run's file, then the index)
        instead of two per event; the rows are those `store_event` writes."""
        if not _batchable(events):
            return super().store_event_batch(events)
        statements = [self.prepare_insert_event(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            for statement in statements:
                conn.execute(statement)
        with self.index_transaction() as conn:
            ids = [conn.execute(statement).inserted_primary_key[0] for statement in statements]
            _index_asset_events(self, conn, events, ids)

    def wipe(self) -> None:
        # Dagster deletes the run files: close their engines first, or a pooled connection would keep the deleted file.
        with self._db_lock:
            for shard in [s for s in self._engines if s != INDEX_SHARD_NAME]:
                self._engines.pop(shard).dispose()
        super().wipe()

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage with `PooledSqliteEventLogStorage` as its event log.

    dagster.yaml:  storage: {custom: {module: orchestration.lib.dagster_storage, class: PooledSqliteStorage,
    config: {base_dir: {env: DAGSTER_HOME}}}}
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Any) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


class BatchedInMemoryEventLogStorage(InMemoryEventLogStorage):
    """Dagster's in-memory event log (a throwaway instance) with the same batched write of a ranged step's events."""

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        if not _batchable(events):
            return super().store_event_batch(events)
        with self.index_transaction() as conn:  # one in-memory database holds the run's events and the index
            ids = [conn.execute(self.prepare_insert_event(event)).inserted_primary_key[0] for event in events]
            _index_asset_events(self, conn, events, ids)
        for event in events:  # what InMemoryEventLogStorage.store_event does after each write
            self._storage_id += 1
            for handler in list(self._handlers[event.run_id]):
                try:
                    handler(event, str(EventLogCursor.from_storage_id(self._storage_id)))
                except Exception:
                    logging.exception("Exception in callback for event watch on run %s.", event.run_id)


def ephemeral_instance():
    """A throwaway in-memory Dagster instance, as `DagsterInstance.ephemeral()` builds it, with the batched event log
    (`pra run --no-record`, the bench and the tests)."""
    from dagster._core.instance import DagsterInstance, InstanceType
    from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
    from dagster._core.run_coordinator import DefaultRunCoordinator
    from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
    from dagster._core.storage.root import TemporaryLocalArtifactStorage
    from dagster._core.storage.runs import InMemoryRunStorage

    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=BatchedInMemoryEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )


def instance_config(storage: str = "sqlite") -> str:
    """An instance's dagster.yaml: the committed dagster.yaml followed by the storage block of `storage`."""
    if storage not in STORAGES:
        raise ValueError(f"DAGSTER_STORAGE must be {' or '.join(STORAGES)}, not {storage!r}")
    parts = [PROJECT_DIR / "dagster.yaml", PROJECT_DIR / "deploy" / f"dagster-{storage}.yaml"]
    return "".join(path.read_text() for path in parts)


def write_instance_config(home: Path, storage: str = "sqlite") -> bool:
    """Write `home`/dagster.yaml when its content differs from `instance_config(storage)`; whether it changed."""
    text = instance_config(storage)
    path = home / "dagster.yaml"
    if path.exists() and path.read_text() == text:
        return False
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def postgres_variables() -> list[str]:
    """The environment variables the PostgreSQL storage block reads its connection from (`{env: ...}` fields)."""
    block = yaml.safe_load((PROJECT_DIR / "deploy" / "dagster-postgres.yaml").read_text())
    fields = block["storage"]["postgres"]["postgres_db"].values()
    return [field["env"] for field in fields if isinstance(field, dict) and "env" in field]


class InstanceSetupError(ValueError):
    """A PostgreSQL instance that cannot be prepared (the message names what to set)."""


def prepare_postgres_instance(home: Path) -> None:
    """Load the PostgreSQL instance of `home` once, so Dagster creates its tables and pool row before any run starts.

    Dagster creates a PostgreSQL instance's tables the first time a process loads it, without a lock: two processes
    loading an empty database at once (a run and the schedule start, the daemon and the webserver) both issue the
    `CREATE TABLE`s, and one fails with `type "bulk_actions" already exists`. Likewise a pool's limit row is inserted
    by the first step that claims the pool; two runs claiming it at once both insert, and on PostgreSQL the loser's
    transaction is aborted and its step fails (dagster-io/dagster#33552). Made once here, every later process finds
    the tables and the row and creates neither. The connection comes from the DAGSTER_PG_* variables (the password
    is never printed); on a database that already has both, nothing changes.
    """
    from dagster import DagsterInstance

    from orchestration.defs.resources import WAREHOUSE_POOL

    missing = [name for name in postgres_variables() if not os.environ.get(name)]
    if missing:
        raise InstanceSetupError(
            f"{home}: Dagster's tables are not created: set {', '.join(missing)} (docs/scale-out.md) and run again"
        )
    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        if WAREHOUSE_POOL not in {pool.name for pool in storage.get_pool_limits()}:
            # The committed dagster.yaml's default limit, as the first claiming step would set it.
            storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)


def main(argv: list[str] | None = None) -> int:
    """`python -m orchestration.lib.dagster_storage <home> [storage]` (`make dagster-home`)."""
    args = sys.argv[1:] if argv is None else argv
    home, storage = Path(args[0]), (args[1] if len(args) > 1 else "sqlite")
    try:
        if write_instance_config(home, storage):
            print(f"{home / 'dagster.yaml'}: {storage} storage")
        if storage == "postgres":
            prepare_postgres_instance(home)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
