"""The bench's process-tree measurement, including the memory cap that stops a path before the OOM killer."""

from __future__ import annotations

import sys

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
