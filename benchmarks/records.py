"""One JSON record per benchmark run in benchmarks/results/: figures, configuration, commit, CPU and date.

The README's and benchmarks/README.md's tables are rendered from these records (`render.py`), so a
figure in the docs is always one that a script measured and wrote down.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path
from typing import Any

from carvana_unet import provenance

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def cpu() -> str:
    """The CPU's model name, AVX-512 where it has it (it changes which kernels train), and the core count."""
    model, flags = platform.machine(), []
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            model = value.strip()
        elif key.strip() == "flags":
            flags = value.split()
    return f"{model}{' with AVX-512' if 'avx512f' in flags else ''}, {os.cpu_count()} cores"


def git_commit() -> str:
    """HEAD's short hash, with '-dirty' when tracked files differ from it (as MLflow runs are tagged)."""
    head, dirty, rest = provenance.git_commit(ROOT).partition("-")
    return head[:8] + dirty + rest


def write(
    benchmark: str, figures: dict[str, Any], config: dict[str, Any] | None = None, folder: Path = RESULTS
) -> Path:
    """Write <folder>/<benchmark>-<UTC time>.json (benchmarks/results/ unless told) and return its path."""
    now = datetime.datetime.now(datetime.UTC)
    record = {
        "benchmark": benchmark,
        "date": now.date().isoformat(),
        "git_commit": git_commit(),
        "cpu": cpu(),
        "load_average": round(os.getloadavg()[0], 1),  # other work on the machine slows timings; say how much
        "config": config or {},
        "figures": figures,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{benchmark}-{now:%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"recorded in {path}")
    return path


def load_all() -> list[dict[str, Any]]:
    """Every record, oldest first (the file names sort by time)."""
    return [json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))]
