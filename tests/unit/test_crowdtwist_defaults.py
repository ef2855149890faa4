"""The CrowdTwist client stands apart from the settings, and both share one set of defaults."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.crowdtwist import defaults
from bot.crowdtwist.client import CrowdTwistClient

PACKAGE = Path(__file__).resolve().parents[2] / "bot" / "crowdtwist"

# Each constructor keyword of the client and the setting that feeds it (bot.services).
SETTING_OF = {
    "timeout": "crowdtwist_timeout_seconds",
    "max_retries": "crowdtwist_max_retries",
    "backoff_seconds": "crowdtwist_backoff_seconds",
    "retry_after_max_seconds": "crowdtwist_retry_after_max_seconds",
    "cache_ttl_seconds": "cache_ttl_seconds",
    "cache_max_entries": "cache_max_entries",
    "max_connections": "crowdtwist_max_connections",
    "max_prefetches": "prefetch_max_concurrent",
    "max_response_bytes": "crowdtwist_max_response_bytes",
    "main_cache_ttl_seconds": "member_summary_ttl_seconds",
}


def imported_modules(path: Path, package: str = "bot.crowdtwist") -> set[str]:
    """Every module ``path`` (a module of ``package``) imports, at run time or for type
    checking alike; ``from bot import config`` counts as ``bot.config``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_crowdtwist_module_imports_the_settings(path: Path) -> None:
    assert "bot.config" not in imported_modules(path), (
        f"{path.name} imports bot.config: build the client from settings in bot.services"
    )


def test_the_import_check_sees_an_import_of_the_settings() -> None:
    # The check above must be able to fail: the bot's assembly does import them.
    assert "bot.config" in imported_modules(PACKAGE.parent / "services.py", "bot")
    assert "bot.config" in imported_modules(PACKAGE.parent / "runtime.py", "bot")


def test_loading_the_client_does_not_load_the_settings() -> None:
    # A fresh interpreter: nothing the client needs, directly or not, reads the settings.
    code = "import sys, bot.crowdtwist.client; print('bot.config' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


def test_the_settings_and_the_client_default_alike() -> None:
    signature = inspect.signature(CrowdTwistClient.__init__)
    for keyword, setting in SETTING_OF.items():
        client_default = signature.parameters[keyword].default
        assert Settings.model_fields[setting].default == client_default, (keyword, setting)


def test_every_default_is_used_by_the_client() -> None:
    signature = inspect.signature(CrowdTwistClient.__init__)
    given = {name: value for name, value in vars(defaults).items() if name.startswith("DEFAULT_")}
    client_defaults = [signature.parameters[keyword].default for keyword in SETTING_OF]
    assert sorted(given.values()) == sorted(client_defaults)
