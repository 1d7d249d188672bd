"""The docs: tables rendered from the benchmark records, a site that builds without a broken link, a
README a newcomer reads in minutes, and no text about how the project was developed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "benchmarks"))

import render  # noqa: E402  (benchmarks/render.py)


def test_committed_tables_are_what_the_records_render():
    stale = [path.name for path, text in render.rendered().items() if path.read_text() != text]
    assert not stale, f"{stale}: run `python benchmarks/render.py` and commit the tables"


def test_results_table_has_a_row_per_configuration_with_its_cpu_and_date():
    table = render.results_table(render.records.load_all())
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    assert {row.split("|")[1].strip() for row in rows} >= {"default"}
    assert all(re.search(r"\| 20\d\d-\d\d-\d\d \|$", row) for row in rows)


def test_site_builds_strictly(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'href="design/refiner/"' in index and 'src="predict-strip.png"' in index
    assert (tmp_path / "site" / "benchmarks" / "index.html").exists()


def test_readme_is_one_short_guide():
    assert len((PROJECT / "README.md").read_text().splitlines()) <= 250


def test_no_text_names_how_the_project_was_developed():
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True).stdout
    # The word is split so that this line is no hit itself.
    history = re.compile(
        r"\b(sess"
        r"ions?|(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\w+teenth) run of)\b"
        r"|issue #\d+",
        re.IGNORECASE,
    )
    kedro = re.compile(r"KedroSession|framework\.session|session\.(run|load_context)|scope=\"session\"|new_session")
    found = []
    for name in tracked.split():
        path = PROJECT / name
        if path.suffix not in {".py", ".md", ".yml", ".yaml", ".toml", ".cfg", ".txt", ""} or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="ignore").splitlines(), 1):
            if history.search(line) and not kedro.search(line):
                found.append(f"{name}:{number}: {line.strip()[:100]}")
    assert not found, "\n".join(found)
