"""The bench's process-tree measurement, including the memory cap that stops a path before the OOM killer."""

from __future__ import annotations

import subprocess
import sys

import psutil

from bench.measure import run_measured

# Holds about 400 MB resident (bytearray pages are written, so they count), then sleeps.
HOG = "import time; b = bytearray(400 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"


def test_a_path_over_the_cap_is_stopped_and_flagged(tmp_path) -> None:
    m = run_measured([sys.executable, "-c", HOG], log=tmp_path / "hog.log", memory_cap_mb=150)
    assert m.memory_capped
    assert m.returncode == -9  # killed by the bench, not by itself
    assert m.wall_s < 25  # stopped well before its 30 s sleep ended
    assert m.peak_rss_mb > 150


def test_a_path_under_the_cap_runs_to_the_end(tmp_path) -> None:
    m = run_measured([sys.executable, "-c", "print(sum(range(10**6)))"], log=tmp_path / "ok.log", memory_cap_mb=2000)
    assert not m.memory_capped
    assert m.returncode == 0
    assert (tmp_path / "ok.log").read_text().strip() == str(sum(range(10**6)))
    assert 0 < m.peak_rss_mb < 2000


def test_a_server_beside_the_path_counts_in_its_memory_and_cpu(tmp_path) -> None:
    """A process that works for the path without being its child (a PostgreSQL server): its resident memory is added
    to the path's peak and its CPU seconds during the path to the path's.

    The server holds 2 GB: a child's `ru_maxrss` can count the image it was forked from (this test's process, up to a
    GB in a long test session) before it exec'd, so the bar must stand above that."""
    server_code = HOG.replace("400 * 2**20", "2048 * 2**20").replace(
        "time.sleep(30)", "print('ready', flush=True); t = time.time()\nwhile time.time() - t < 30: pass"
    )
    server = subprocess.Popen([sys.executable, "-c", server_code], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"  # its 2 GB are resident, it spins from now on
        m = run_measured(
            [sys.executable, "-c", "import time; time.sleep(3)"],
            log=tmp_path / "sleep.log",
            servers=[psutil.Process(server.pid)],
        )
    finally:
        server.kill()
        server.wait()
    alone = run_measured([sys.executable, "-c", "import time; time.sleep(3)"], log=tmp_path / "alone.log")
    assert m.returncode == 0
    assert m.peak_rss_mb > 2048 > alone.peak_rss_mb
    assert alone.cpu_s < 0.5 < m.cpu_s  # the sleeper alone uses almost none; the spinning server's seconds count
