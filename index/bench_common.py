"""Helpers every benchmark shares: timing, percentiles, memory, and what machine the figures come from."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

__all__ = ["timed", "percentile", "rss_mb", "machine_notes"]


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory; ``field="RssAnon"``: only the private part, without pages of mapped files,
    which the kernel can drop and re-read (what a process writing or mapping large files adds to VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine_notes() -> str:
    """The machine as it is now, read from it: cores seen, cores this process may use, load."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    shared = " (shared: other work was running)" if load > 0.5 * (usable or 1) else ""
    return f"{os.cpu_count()} CPUs, {usable} usable by this process, load average {load:.1f}{shared}"
