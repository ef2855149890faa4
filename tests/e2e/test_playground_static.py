"""The page's own files: everything ``index.html`` loads, followed through every ES module
import, is served 200 with the type a browser needs (a module script runs only when served as
JavaScript), both from the source tree and from an installed wheel, and nothing in
``static/`` is left unloaded or out of the package.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest
from aiohttp import web_fileresponse

from bot.config import Settings
from bot.playground.server import STATIC_DIR, Playground

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css"}
# Static and dynamic imports: `from "./x.js"`, `import "./x.js"`, `import("./x.js")`.
MODULE_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["'](\.{0,2}/[^"']+)["']""")


class _PageAssets(HTMLParser):
    """The module scripts and style sheets an HTML page names."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            assert found.get("type") == "module", f"{found['src']}: expected a module script"
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("rel") == "stylesheet" and found.get("href"):
            self.urls.append(str(found["href"]))


def test_the_import_pattern_finds_every_kind_of_import() -> None:
    source = (
        'import { a } from "./a.js";\nimport {\n  b,\n} from "./b.js";\n'
        'export { c } from "../c.js";\nimport "/static/d.js";\nconst e = await import("./e.js");\n'
        'const f = "from nowhere"; // import nothing\n'
    )
    found = MODULE_IMPORT.findall(source)
    assert found == ["./a.js", "./b.js", "../c.js", "/static/d.js", "./e.js"]


async def _crawl(http: aiohttp.ClientSession, base: str) -> dict[str, str]:
    """Every asset the page loads, transitively: {path: content type}; each must answer 200."""
    async with http.get(base + "/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        parser = _PageAssets()
        parser.feed(await response.text())
    page = base + "/"
    pending = [urljoin(page, url) for url in parser.urls]
    served: dict[str, str] = {}
    while pending:
        url = pending.pop()
        path = urlsplit(url).path
        if path in served:
            continue
        async with http.get(url) as response:
            assert response.status == 200, f"{path}: HTTP {response.status}"
            served[path] = response.content_type
            assert response.charset == "utf-8", f"{path}: charset {response.charset}"
            body = await response.text()
        if path.endswith(".js"):
            pending.extend(urljoin(url, spec) for spec in MODULE_IMPORT.findall(body))
    return served


def _static_files(root: Path) -> set[str]:
    """The files under a static folder, as the page's URLs (index.html is served at /)."""
    return {
        "/static/" + path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.name != "index.html"
    }


def _assert_served_as_the_page_needs(served: dict[str, str], static_root: Path) -> None:
    for path, content_type in served.items():
        assert content_type == EXPECTED_TYPES[Path(path).suffix], f"{path}: {content_type}"
    assert any(path.endswith(".js") for path in served)
    # Nothing in static/ that the page does not load (a file no one imports is dead code).
    assert set(served) == _static_files(static_root)


@pytest.fixture
async def playground() -> AsyncIterator[Playground]:
    async with Playground(Settings(_env_file=None, log_format="text")) as running:
        yield running


async def test_every_file_the_page_loads_is_served_with_its_type(playground: Playground) -> None:
    async with aiohttp.ClientSession() as http:
        served = await _crawl(http, playground.url.rstrip("/"))
    _assert_served_as_the_page_needs(served, STATIC_DIR)
    assert "/static/app.js" in served
    assert "/static/dom.js" in served  # reached only through imports


async def test_module_scripts_are_javascript_whatever_this_machine_calls_js(
    playground: Playground, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some machines' MIME tables (Windows' registry) call .js text/plain; modules would not run."""
    monkeypatch.setitem(web_fileresponse.CONTENT_TYPES.types_map[True], ".js", "text/plain")
    monkeypatch.setitem(web_fileresponse.CONTENT_TYPES.types_map[True], ".css", "text/plain")
    async with aiohttp.ClientSession() as http:
        served = await _crawl(http, playground.url.rstrip("/"))
    _assert_served_as_the_page_needs(served, STATIC_DIR)


async def test_a_missing_static_file_is_a_404(playground: Playground) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/static/nothing.js", "/static/../server.py", "/static/%2e%2e/server.py"):
            async with http.get(playground.url.rstrip("/") + path) as response:
                assert response.status in (403, 404), path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _page_env(port: int, pythonpath: Path) -> dict[str, str]:
    """The environment of ``python -m bot`` with nothing configured (so: the playground)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "CROWDTWIST_", "ALLOWED_SLACK_", "AUDIT_", "PORT"))
    }
    return env | {"PORT": str(port), "LOG_FORMAT": "text", "PYTHONPATH": str(pythonpath)}


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """The package built as a wheel and installed as a user gets it (not editable)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "bot", source / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    where = subprocess.run(
        [sys.executable, "-c", "import bot.playground.server as s; print(s.STATIC_DIR)"],
        cwd=tmp_path,
        env=_page_env(0, site),
        check=True,
        capture_output=True,
        text=True,
    )
    assert Path(where.stdout.strip()) == site / "bot" / "playground" / "static"  # not the checkout
    return site


async def test_an_installed_wheel_serves_every_file_of_the_page(installed: Path) -> None:
    installed_static = installed / "bot" / "playground" / "static"
    assert _static_files(installed_static) == _static_files(STATIC_DIR)
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=str(installed.parent),  # no .env, and no checkout on the path
        env=_page_env(port, installed),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        assert line.startswith(f"Playground: http://127.0.0.1:{port}")
        async with aiohttp.ClientSession() as http:
            served = await _crawl(http, f"http://127.0.0.1:{port}")
        _assert_served_as_the_page_needs(served, installed_static)
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=30)
