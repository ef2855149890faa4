"""The README and .env.example document every setting, and the contract's names."""

from __future__ import annotations

import ast
import functools
import os
import re
import tomllib
from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = [name.upper() for name in Settings.model_fields]


@pytest.mark.parametrize("name", SETTINGS)
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert f"`{name}`" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(
    "name", [n for n in SETTINGS if n not in {"SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"}]
)
def test_every_setting_is_in_env_example(name: str) -> None:
    assert f"{name}=" in (ROOT / ".env.example").read_text()


def test_the_readme_shows_the_two_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "pip install -e . && python -m bot" in readme
    assert "pip install -e '.[test]' && python -m pytest" in readme
    assert "pip install -e '.[test]' && python -m pytest" in (ROOT / ".ci" / "run").read_text()


# -- the repository stands alone ---------------------------------------------------------------

TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".txt", ".json", ".example", ""}
SKIPPED_DIRS = {".git", ".venv", "venv", ".ci", "__pycache__", ".mypy_cache", ".ruff_cache"}
# The sibling folder the repository once read from; spelt in two pieces so that this test is
# not itself a match for `git grep` on that folder's name.
SIBLING = "sha" + "red"
OUTSIDE = re.compile(rf"(\.\./|/work/){SIBLING}\b|\b{SIBLING}/(docs|slack)/")


def repository_files() -> list[Path]:
    """The repository's text files (without .ci/, which knows where CI runs)."""
    files = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        files += [Path(folder, n) for n in names if Path(n).suffix in TEXT_SUFFIXES]
    return files


def test_nothing_refers_to_files_outside_the_repository() -> None:
    files = repository_files()
    assert ROOT / "bot" / "config.py" in files  # the scan sees the code
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not found, f"references to files outside the repository: {found}"


def test_every_repository_path_the_docs_name_exists() -> None:
    named = {
        match
        for doc in [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
        for match in re.findall(r"`((?:bot|tests|docs|benchmarks)/[\w./-]+)`", doc.read_text())
        + re.findall(r"\]\(((?:bot|tests|docs|benchmarks)/[\w./-]+)\)", doc.read_text())
    }
    assert "bot/crowdtwist/errors.py" in named, "the scan finds no paths: it is broken"
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert not missing, f"the docs name files that do not exist: {missing}"


# -- docs/contract.md is true of the code --------------------------------------------------------

ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]+")
IDENTIFIER = re.compile(r"/?[a-z][a-z0-9_/]*")


def contract_rows() -> list[tuple[str, list[str], str]]:
    """(what, names, status) for each row of the table in docs/contract.md."""
    rows = []
    for line in (ROOT / "docs" / "contract.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2] in {"built", "planned"}:
            rows.append((cells[0], re.findall(r"`([^`]+)`", cells[1]), cells[2]))
    return rows


@functools.cache
def string_literals_of_the_bot() -> frozenset[str]:
    """Every string constant in bot/, leaving out the playground and the sandbox."""
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if {"playground", "sandbox"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return frozenset(found)


def exists_in_the_code(name: str, literals: frozenset[str]) -> bool | None:
    """Whether the code has ``name``; None for names that are not code (``pip install -e .``)."""
    if ENV_NAME.fullmatch(name):
        return name in SETTINGS
    if IDENTIFIER.fullmatch(name) and ("_" in name or name.startswith("/")):
        return name in literals
    if name == "purchases-bot":
        scripts: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
            "scripts"
        ]
        return scripts.get(name) == "bot.__main__:main"
    return None


def test_the_contract_table_is_read() -> None:
    statuses = [status for _, _, status in contract_rows()]
    assert len(statuses) >= 15 and set(statuses) <= {"built", "planned"}, statuses


@pytest.mark.parametrize(
    ("what", "names"),
    [(w, n) for w, n, s in contract_rows() if s == "built"],
    ids=lambda v: str(v)[:40],
)
def test_every_name_of_a_built_row_exists(what: str, names: list[str]) -> None:
    literals = string_literals_of_the_bot()
    missing = [name for name in names if exists_in_the_code(name, literals) is False]
    assert not missing, f"docs/contract.md says {what!r} is built, but the code lacks {missing}"


@pytest.mark.parametrize(
    ("what", "names"),
    [(w, n) for w, n, s in contract_rows() if s == "planned"],
    ids=lambda v: str(v)[:40],
)
def test_a_planned_row_is_not_built_yet(what: str, names: list[str]) -> None:
    literals = string_literals_of_the_bot()
    first = next(name for name in names if exists_in_the_code(name, literals) is not None)
    built_settings = [name for name in names if ENV_NAME.fullmatch(name) and name in SETTINGS]
    assert not exists_in_the_code(first, literals) and not built_settings, (
        f"{what!r} is built now ({first!r} or {built_settings} exists): mark its row "
        "'built' in docs/contract.md"
    )
