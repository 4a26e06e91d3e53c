"""The project's own settings: one list of dependencies, and nothing patches the import path."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def requirement_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-r "))]


def test_package_reads_its_runtime_dependencies_from_requirements_txt() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "dependencies" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}


def test_dev_extra_matches_requirements_dev_txt() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["optional-dependencies"]["dev"] == requirement_lines("requirements-dev.txt")


def test_ray_extra_matches_requirements_ray_txt() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["optional-dependencies"]["ray"] == requirement_lines("requirements-ray.txt")
    assert "ray" not in (ROOT / "requirements.txt").read_text()  # the README's install stays without Ray


def test_no_script_patches_sys_path() -> None:
    scripts = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
    patched = [str(p.relative_to(ROOT)) for p in scripts if "sys.path." + "insert" in p.read_text()]
    assert patched == []
