"""What a `kedro run` needs to know when `dvc repro` or `dvc exp run` started it as a stage."""

from __future__ import annotations

from pathlib import Path

import psutil

# DVC sets this in every stage command's environment (dvc/stage/run.py), and only there.
STAGE_VARIABLE = "DVC_STAGE"
# conf/local files DVC cannot see: they would change a stage's results without dvc.lock knowing.
UNDECLARED_PATTERNS = ("parameters*", "globals*", "catalog*")
DECLARED = "parameters.yml"


def invocation(environ: dict[str, str]) -> str | None:
    """'<pid>-<start time>' of the DVC process running this stage, the same for all of its stages; None outside DVC.

    The stage's own process and the shell DVC starts it in carry DVC_STAGE; the first ancestor without it
    is the `dvc repro` (or `dvc exp run`) that runs the whole pipeline.
    """
    if STAGE_VARIABLE not in environ:
        return None
    process = psutil.Process().parent()
    while process is not None and STAGE_VARIABLE in _environment(process):
        process = process.parent()
    return None if process is None else f"{process.pid}-{process.create_time():.3f}"


def _environment(process: psutil.Process) -> dict[str, str]:
    try:
        return process.environ()
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        return {}


def undeclared_local_config(conf_local: Path) -> list[Path]:
    """Override files in conf/local that no dvc.yaml stage declares (all but conf/local/parameters.yml)."""
    found = {path for pattern in UNDECLARED_PATTERNS for path in conf_local.glob(pattern) if path.is_file()}
    return sorted(path for path in found if path.name != DECLARED and not path.name.endswith(".example.yml"))
