"""Run one command as a child process and measure its whole process tree: wall, CPU, peak resident set."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Measurement:
    """One timed execution of a benchmark path."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    max_single_rss_mb: float
    returncode: int
    memory_capped: bool = False  # killed by the bench for passing the memory cap (did not finish)

    def as_dict(self) -> dict[str, float]:
        """Rounded values for the results file."""
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _tree_sum(root: psutil.Process, value: Callable[[psutil.Process], float]) -> float:
    """`value` summed over a process and its live descendants (processes that end meanwhile are skipped)."""
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += value(proc)
        except psutil.Error:
            continue
    return total


def _tree_rss(root: psutil.Process) -> int:
    return _tree_sum(root, lambda proc: proc.memory_info().rss)


def _kill_tree(root: psutil.Process) -> None:
    try:
        procs = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            continue


def _tree_cpu(root: psutil.Process) -> float:
    """CPU seconds of a running process, its live descendants and the children it has already waited for."""

    def cpu(proc: psutil.Process) -> float:
        t = proc.cpu_times()
        return t.user + t.system + (t.children_user + t.children_system if proc.pid == root.pid else 0.0)

    return _tree_sum(root, cpu)


def run_measured(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    memory_cap_mb: float | None = None,
    servers: Sequence[psutil.Process] = (),
) -> Measurement:
    """Run `cmd`, sampling the summed RSS of the child and all its descendants until it exits.

    `servers`: processes that work for the child without being its descendants (a PostgreSQL server): their trees'
    resident memory is sampled and summed with the child's, and their CPU seconds during the run are added.

    With `memory_cap_mb`, the whole tree is killed once its resident set passes the cap: a path that
    would need more memory than the machine has ends as "did not finish" instead of waking the kernel's
    OOM killer, which may pick any process on the machine.

    CPU time comes from wait4(): user + system of the child and every descendant it waited for
    (dbt runs as a subprocess of the Dagster process and is waited for), so nothing is sampled away.
    """
    out = log.open("wb") if log else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        server_cpu = sum(_tree_cpu(server) for server in servers)
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        peak = [0]
        capped = threading.Event()
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss(root) + sum(_tree_rss(server) for server in servers))
                if memory_cap_mb is not None and peak[0] > memory_cap_mb * 2**20 and not capped.is_set():
                    capped.set()
                    _kill_tree(root)
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        server_cpu = sum(_tree_cpu(server) for server in servers) - server_cpu
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            out.close()
    return Measurement(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime + server_cpu,
        # ru_maxrss (KiB on Linux) is the largest single process: a floor when a spike fell between samples.
        peak_rss_mb=max(peak[0], usage.ru_maxrss * 1024) / 2**20,
        max_single_rss_mb=usage.ru_maxrss / 1024,
        returncode=proc.returncode,
        memory_capped=capped.is_set(),
    )
