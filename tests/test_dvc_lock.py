"""dvc.lock describes what HEAD produces: each code and parameter dependency it records matches the file.

Cheap (DVC hashes the listed files; nothing runs), so CI catches a commit that changed code or
parameters without re-running the stages. Data dependencies are not checked: a clean clone has no data.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from dvc.repo import Repo

PROJECT = Path(__file__).resolve().parents[1]


def test_dvc_lock_matches_the_code_and_parameters_at_head():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split()

    def in_git(path: str) -> bool:
        return any(name == path or name.startswith(path.rstrip("/") + "/") for name in tracked)

    stale = []
    for stage, entries in Repo(str(PROJECT)).status().items():
        for entry in entries:
            if isinstance(entry, str):  # "changed command", "always changed"
                stale.append(f"{stage}: {entry}")
                continue
            stale += [
                f"{stage}: {path} {change}" for path, change in entry.get("changed deps", {}).items() if in_git(path)
            ]
    assert not stale, (
        "dvc.lock does not describe the code at HEAD; run `make run` (dvc repro) and commit "
        "dvc.lock:\n  " + "\n  ".join(stale)
    )
