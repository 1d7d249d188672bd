"""Where a run came from: the git commit and the DVC hash of the raw data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml


def git_commit(project: Path) -> str:
    """HEAD's hash, with '-dirty' when tracked files have uncommitted changes; 'unknown' outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def data_version(project: Path, raw_dir: str) -> str:
    """The md5 DVC recorded for `raw_dir` (a `dvc add` file or a dvc.lock output), else 'untracked'."""
    raw = Path(raw_dir)
    candidates = [project / raw.with_name(raw.name + ".dvc"), project / "dvc.lock"]
    for path in candidates:
        if not path.exists():
            continue
        document = yaml.safe_load(path.read_text()) or {}
        outs = list(document.get("outs", []))
        for stage in (document.get("stages") or {}).values():
            outs += stage.get("outs", [])
        for out in outs:
            if Path(out.get("path", "")) == raw and "md5" in out:
                return out["md5"]
    return "untracked"
