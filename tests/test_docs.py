"""The README and .env.example document every setting, and the contract's names."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
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
