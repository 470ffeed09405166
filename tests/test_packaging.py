"""What the README's run command installs is what the service needs: the service's code
imports only its runtime dependencies (and what they depend on), never the `dev` extra's
tools; the license `pyproject.toml` names ships with it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def _closure(requirements: list[str]) -> set[str]:
    """The distributions `requirements` install: themselves and what they require (with the
    extras they name), as installed here."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = _name(str(req))
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            child = Requirement(line)
            wanted = child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in (req.extras or {""})
            )
            if wanted:
                todo.append(child)
    return seen


def _imported_top_levels() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "mediagate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"mediagate", "__future__"}


def test_the_service_imports_only_its_runtime_dependencies() -> None:
    runtime = _closure(PYPROJECT["project"]["dependencies"])
    assert {"fastapi", "sqlalchemy", "asyncpg"} <= runtime
    assert not {"pytest", "openai", "moto", "playwright"} & runtime
    providers = metadata.packages_distributions()
    outside = {}
    for module in _imported_top_levels():
        dists = {_name(d) for d in providers.get(module, [module])}
        if not dists & runtime:
            outside[module] = sorted(dists)
    assert not outside, f"imported by src/mediagate but not installed by `pip install .`: {outside}"


def test_the_dev_tools_are_not_runtime_dependencies() -> None:
    runtime = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    dev = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    assert not runtime & dev


def test_the_readme_run_command_installs_the_runtime_only() -> None:
    readme = (ROOT / "README.md").read_text()
    run, test = re.findall(r"```sh\n(python3 -m venv .*?)\n```", readme)[:2]
    assert "pip install -e . " in run and "[dev]" not in run and run.endswith("mediagate serve")
    assert "'.[dev]'" in test and test.endswith(".venv/bin/python -m pytest")
    assert test.split("&&")[-1].strip() in (ROOT / ".ci" / "run").read_text()


def test_the_license_ships() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "LICENSE" in PYPROJECT["project"]["license-files"]
