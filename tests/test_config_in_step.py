"""conf/ and dvc.yaml describe the same files: each DVC stage declares exactly what its Kedro pipeline
reads and writes, so neither can drift (a renamed catalog path, a forgotten out, a stale dep)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.project import configure_project, pipelines

from carvana_unet import settings

PROJECT = Path(__file__).resolve().parents[1]


def catalog_paths() -> dict[str, str]:
    """Dataset name -> the file or folder it lives in (datasets kept only in MLflow have none)."""
    loader = OmegaConfigLoader(str(PROJECT / "conf"), env="local", **settings.CONFIG_LOADER_ARGS)
    paths = {}
    for name, entry in loader["catalog"].items():
        if name.startswith("_"):
            continue
        inner = entry.get("dataset") if isinstance(entry.get("dataset"), dict) else {}
        path = entry.get("filepath") or entry.get("path") or inner.get("filepath")
        if path:
            paths[name] = path
    return paths


def dvc_stages() -> dict[str, dict[str, set[str]]]:
    document = yaml.safe_load((PROJECT / "dvc.yaml").read_text())
    variables = yaml.safe_load((PROJECT / "conf/base/globals.yml").read_text())

    def resolve(entry) -> str:
        path = next(iter(entry)) if isinstance(entry, dict) else entry
        for key, value in variables.items():
            path = path.replace("${" + key + "}", str(value))
        return path

    return {
        name: {
            "deps": {resolve(d) for d in stage.get("deps", []) if resolve(d).startswith("data/")},
            "outs": {resolve(o) for o in stage.get("outs", [])},
        }
        for name, stage in document["stages"].items()
    }


@pytest.fixture(scope="module")
def registry():
    configure_project("carvana_unet")
    return pipelines


def inside(path: str, folders: set[str]) -> bool:
    """`path` is one of `folders` or lies in one (a folder out or dep covers the files in it)."""
    return any(path == folder or path.startswith(folder.rstrip("/") + "/") for folder in folders)


def test_every_stage_is_a_pipeline_and_declares_what_it_writes(registry):
    paths = catalog_paths()
    for stage, declared in dvc_stages().items():
        assert stage in registry, f"dvc.yaml stage {stage!r} has no Kedro pipeline of that name"
        written = {paths[name] for name in registry[stage].all_outputs() if name in paths}
        undeclared = {p for p in written if not inside(p, declared["outs"])}
        assert not undeclared, f"stage {stage} writes {undeclared}, which dvc.yaml does not list as outs"
        unwritten = {o for o in declared["outs"] if not any(inside(p, {o}) for p in written)}
        assert not unwritten, f"stage {stage} lists outs {unwritten} that its pipeline does not write"


def test_every_stage_depends_on_what_it_reads(registry):
    paths = catalog_paths()
    for stage, declared in dvc_stages().items():
        read = {paths[name] for name in registry[stage].inputs() if name in paths}
        unlisted = {p for p in read if not inside(p, declared["deps"])}
        assert not unlisted, f"stage {stage} reads {unlisted}, which dvc.yaml does not list as deps"
        unread = {d for d in declared["deps"] if not any(inside(p, {d}) for p in read)}
        assert not unread, f"stage {stage} lists deps {unread} that its pipeline does not read"


def test_metrics_and_plots_are_stage_outputs():
    document = yaml.safe_load((PROJECT / "dvc.yaml").read_text())
    outs = set().union(*(stage["outs"] for stage in dvc_stages().values()))
    # A plot is a file (an image) or a named spec whose y names its data files.
    plots = document["plots"]
    plotted = {plot for plot in plots if isinstance(plot, str)}
    plotted |= {path for plot in plots if isinstance(plot, dict) for spec in plot.values() for path in spec["y"]}
    assert set(document["metrics"]) <= outs and plotted <= outs
