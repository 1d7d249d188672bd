"""Every module a stage's nodes import is a dependency of that stage in dvc.yaml.

Otherwise a change to it leaves `dvc repro` rerunning nothing and dvc.lock describing outputs that the
code at HEAD no longer makes. The imports are read from the source (ast), following carvana_unet only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
SOURCE = PROJECT / "src"


def module_file(name: str) -> Path | None:
    """The file of module `name` under src/, a package's __init__.py, or None when `name` is not a module."""
    path = SOURCE.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(file: Path) -> set[str]:
    """carvana_unet modules `file` imports: `import a.b`, `from a import b` (b a module) and `from a.b import c`."""
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {
                f"{node.module}.{alias.name}" for alias in node.names if module_file(f"{node.module}.{alias.name}")
            }
    return {name for name in found if name.startswith("carvana_unet.") and module_file(name)}


def closure(start: str) -> set[Path]:
    """Every carvana_unet source file `start` reaches through imports, itself included."""
    seen, todo = set(), [start]
    while todo:
        file = module_file(todo.pop())
        if file in seen:
            continue
        seen.add(file)
        todo += imported_modules(file)
    return seen


def test_each_stage_depends_on_every_module_its_pipeline_imports():
    stages = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
    missing = []
    for name, stage in stages.items():
        pipeline = stage["cmd"].split("--pipelines")[1].split()[0]
        deps = [PROJECT / d for d in stage["deps"] if d.startswith("src/")]
        for file in sorted(closure(f"carvana_unet.pipelines.{pipeline}.pipeline")):
            if file.name == "__init__.py" and not file.read_text().strip():
                continue  # an empty package marker changes nothing
            if not any(file == dep or dep in file.parents for dep in deps):
                missing.append(f"{name}: {file.relative_to(PROJECT)}")
    assert not missing, "add these to the stages' deps in dvc.yaml:\n  " + "\n  ".join(missing)
