"""Two pipeline runs started at once on one warehouse: one waits or fails cleanly, nothing is corrupted.

The two processes are the two documented backfill commands: `pra backfill` and `dagster job execute`, on a
copy of the session's short landing folder; the clean run it must equal afterwards is the session's full
backfill of that folder (wap_helpers.published_pipeline). Not a `serial` test: whichever run wins, and however
slowly either runs beside other tests, the claims below hold, so it runs with the rest of `make test`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.lib.windows import range_tags
from tests.helpers import PipelineDirs
from tests.integration import wap_helpers
from tests.integration.test_incremental import table_hashes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The shared session fixtures (one landing folder, one published pipeline run).
published_pipeline = wap_helpers.published_pipeline
wap_landing = wap_helpers.wap_landing

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DBT_BUILT = 'Finished execution of step "dbt_models"'  # DEBUG: `dagster job execute` prints it
PUBLISHED = "published version "  # `pra`'s last line; the publication step's INFO line in `dagster job execute`


def test_two_runs_at_once_never_corrupt_the_warehouse(tmp_path: Path, wap_landing: Path, published_pipeline):
    dirs = PipelineDirs(tmp_path / "shared")
    shutil.copytree(wap_landing, dirs.landing)
    first, last = dirs.landing_range()
    # Two shells without a shared Dagster instance (no run queue, no pool between them): only DuckDB's
    # single-writer lock stands between the two runs. Runs queued by the daemon are serialised by the pool.
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | dirs.env()
    commands = [
        [str(BIN / "pra"), "backfill", "--start", first.isoformat(), "--end", last.isoformat(), "--no-record"],
        [
            str(BIN / "dagster"), "job", "execute", "-m", "orchestration.definitions",
            "-j", "partner_retention_nightly_job", "--tags", json.dumps(range_tags(first, last)),
        ],
    ]
    procs = [
        subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for cmd in commands
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    built = [DBT_BUILT in out or PUBLISHED in out for out in outputs]
    assert any(built), "neither concurrent run built the marts:\n" + "\n---\n".join(o[-3000:] for o in outputs)
    for ok, out in zip(built, outputs, strict=True):
        if not ok:
            # The loser fails cleanly and says why: DuckDB's single-writer file lock.
            assert "lock" in out.lower(), out[-3000:]

    # Afterwards the warehouse is sound, with nothing to repair: every mart and incremental model equals a clean run
    # of the same files from scratch, row for row.
    clean = published_pipeline  # the same landing folder backfilled once into an empty warehouse
    assert table_hashes(dirs.work_db, dirs.landing) == table_hashes(clean.work_db, clean.landing)
