"""The Dockerfile, .dockerignore and the health check, tested without a container engine.

No Docker engine runs where these tests run, so the image itself is never built here. What
can be checked without one is: the Dockerfile parses and says what it should (the lock with
its hashes, a user other than root, ``python -m bot``), the build context keeps secrets out,
and the image's own command and health check, run word for word on the files the image would
hold and with its environment, start the bot in HTTP mode and report its health truthfully.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import signal
import sys
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from packaging.specifiers import SpecifierSet

from bot import healthcheck
from bot.fake_slack import FakeSlack
from bot.server import HEALTH_PATH
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.e2e_helpers import response_posts, text_of
from tests.support.processes import free_port
from tests.support.slack_driver import SlackDriver

ROOT = Path(__file__).resolve().parents[2]
# Every instruction a Dockerfile may hold (Docker's reference); anything else is a typo.
KNOWN = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}  # fmt: skip


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order, continuation lines joined, comments dropped (Docker's rules)."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # inside a continuation too: Docker drops comment lines there
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(args.split()), start))
        pending = ""
    assert not pending, "the last instruction continues past the end of the file"
    return instructions


def exec_form(args: str) -> list[str]:
    """A JSON array of strings (exec form), or fail saying which instruction is not one."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


@dataclass(frozen=True)
class Image:
    """What the Dockerfile says, read into the pieces the tests need."""

    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def one(self, keyword: str) -> Instruction:
        (found,) = self.all(keyword)
        return found

    @property
    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.args):
                name, sep, value = pair.partition("=")
                assert sep, f"line {instruction.line}: write ENV as NAME=value"
                values[name] = value
        return values

    @property
    def workdir(self) -> str:
        return self.one("WORKDIR").args

    @property
    def command(self) -> list[str]:
        return exec_form(self.one("CMD").args)

    @property
    def health_command(self) -> list[str]:
        options, sep, command = self.one("HEALTHCHECK").args.partition("CMD ")
        assert sep and all(o.startswith("--") for o in options.split()), "HEALTHCHECK [opts] CMD"
        return exec_form(command)

    @property
    def copies(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for instruction in self.all("COPY"):
            *sources, dest = instruction.args.split()
            assert not any(s.startswith("--") for s in sources), "no COPY flags expected"
            pairs.extend((source, dest) for source in sources)
        return pairs


@pytest.fixture(scope="module")
def image() -> Image:
    return Image(parse_dockerfile((ROOT / "Dockerfile").read_text()))


def test_the_parser_joins_continuations_and_drops_comments() -> None:
    parsed = parse_dockerfile('# c\nFROM x\nRUN a \\\n  # inside\n  && b\n\nCMD ["y"]\n')
    assert [(i.keyword, i.args, i.line) for i in parsed] == [
        ("FROM", "x", 2),
        ("RUN", "a && b", 3),
        ("CMD", '["y"]', 7),
    ]


def test_the_dockerfile_parses_into_known_instructions(image: Image) -> None:
    keywords = [i.keyword for i in image.instructions]
    assert set(keywords) <= KNOWN
    assert keywords[0] == "FROM"
    for keyword in ("FROM", "WORKDIR", "USER", "CMD", "HEALTHCHECK", "EXPOSE"):
        assert keywords.count(keyword) == 1, keyword


def test_the_base_is_slim_python_of_the_version_heroku_runs(image: Image) -> None:
    base = image.one("FROM").args
    version = (ROOT / ".python-version").read_text().strip()
    assert base == f"python:{version}-slim"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert SpecifierSet(pyproject["project"]["requires-python"]).contains(version + ".0")
    assert pyproject["tool"]["mypy"]["python_version"] == version


def test_the_locked_dependencies_are_installed_with_their_hashes_before_the_code(
    image: Image,
) -> None:
    order = [(i.keyword, i.args) for i in image.instructions]
    installs = [args for keyword, args in order if keyword == "RUN" and "pip install" in args]
    assert installs == ["pip install --require-hashes -r requirements.txt"]
    lock_copied = order.index(("COPY", "requirements.txt ./"))
    installed = order.index(("RUN", installs[0]))
    code_copied = order.index(("COPY", "bot ./bot"))
    assert lock_copied < installed < code_copied  # code changes keep the dependency layer


def test_the_bot_runs_as_a_user_that_is_not_root(image: Image) -> None:
    user = image.one("USER").args.split(":")[0]
    assert user not in {"root", "0"}
    creates = " ".join(i.args for i in image.all("RUN"))
    assert f"--uid {user}" in creates  # the user exists in the image
    after = image.instructions[image.instructions.index(image.one("USER")) :]
    assert not [i for i in after if i.keyword in {"RUN", "COPY", "ADD"}]


def test_the_command_is_the_bot_with_unbuffered_logs_on_the_exposed_port(image: Image) -> None:
    assert image.command == ["python", "-m", "bot"]
    assert image.env["PYTHONUNBUFFERED"] == "1"
    assert image.one("EXPOSE").args == image.env["PORT"] == "3000"
    assert image.health_command == ["python", "-m", "bot.healthcheck"]
    assert image.env["PYTHONPATH"] == image.workdir  # the check finds bot/ from any directory


def test_the_build_context_is_only_what_the_image_copies(image: Image) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"  # everything out (.env, .git, .venv, tests) unless let back in
    let_in = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    assert let_in == {source.rstrip("/") for source, _ in image.copies}
    assert all((ROOT / path).exists() for path in let_in)


# -- the health check, and the image's command on the image's files --------------------------


def test_the_health_url_follows_host_and_port() -> None:
    assert healthcheck.HEALTH_PATH == HEALTH_PATH
    assert healthcheck.health_url({}) == "http://127.0.0.1:3000/healthz"
    assert healthcheck.health_url({"PORT": "8080", "HOST": "0.0.0.0"}) == (  # noqa: S104
        "http://127.0.0.1:8080/healthz"
    )
    assert healthcheck.health_url({"HOST": "::", "PORT": "1"}) == "http://[::1]:1/healthz"
    assert healthcheck.health_url({"HOST": "10.0.0.7"}) == "http://10.0.0.7:3000/healthz"


async def test_an_unhealthy_answer_or_a_bad_port_fails_the_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def unwell(_: web.Request) -> web.Response:
        return web.Response(status=503, text="draining")

    app = web.Application()
    app.router.add_get(HEALTH_PATH, unwell)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        env = {"HOST": "127.0.0.1", "PORT": str(port)}
        assert await asyncio.to_thread(healthcheck.main, env) == 1
        assert "answered HTTP 503" in capsys.readouterr().err
    finally:
        await runner.cleanup()
    assert await asyncio.to_thread(healthcheck.main, {"PORT": "eighty"}) == 1
    assert "unhealthy" in capsys.readouterr().err


def image_files(image: Image, into: Path) -> Path:
    """Copy what the Dockerfile COPYs (minus caches) to ``into``/WORKDIR; return that folder."""
    workdir = into / image.workdir.lstrip("/")
    workdir.mkdir(parents=True)
    for source, dest in image.copies:
        target = workdir / dest
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / source, target)
    return workdir


def container_env(image: Image, workdir: Path, run_env: dict[str, str]) -> dict[str, str]:
    """What a container sees: the base image's PATH and locale, the Dockerfile's ENV (its paths
    moved to ``workdir``), then the ``docker run -e`` variables; nothing of this machine's."""
    base = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
    env = {k: v.replace(image.workdir, str(workdir)) for k, v in image.env.items()}
    return {**base, **env, **run_env}


async def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run an exec-form command as the image would, with this venv's interpreter as python."""
    program = sys.executable if argv[0] == "python" else argv[0]
    process = await asyncio.create_subprocess_exec(
        program, *argv[1:], env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def container(
    image: Image, fake_slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, dict[str, str], Path]]:
    """The image's CMD on the image's files, as ``docker run -e …`` would start it."""
    workdir = image_files(image, tmp_path)
    env = container_env(
        image,
        workdir,
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "CROWDTWIST_SANDBOX": "true",
            "PORT": str(free_port()),
        },
    )
    program = sys.executable if image.command[0] == "python" else image.command[0]
    process = await asyncio.create_subprocess_exec(
        program, *image.command[1:], env=env, cwd=workdir,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{env['PORT']}{HEALTH_PATH}"
    async with httpx.AsyncClient() as http:
        for _ in range(150):
            try:
                if (await http.get(url)).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        else:
            process.kill()
            raise AssertionError((await process.communicate())[1].decode())
    yield process, env, workdir
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_the_image_command_starts_the_bot_from_the_image_files(
    image: Image,
    container: tuple[asyncio.subprocess.Process, dict[str, str], Path],
    fake_slack: FakeSlack,
) -> None:
    _, env, workdir = container
    code, where, _ = await run(["python", "-c", "import bot; print(bot.__file__)"], env, workdir)
    assert code == 0 and Path(where.strip()).is_relative_to(workdir)
    base = f"http://127.0.0.1:{env['PORT']}"
    driver = SlackDriver(f"{base}/slack/events", SIGNING_SECRET, fake_slack.base_url)
    try:
        sent = await driver.command("alice@example.com")
        assert sent.response.status_code == 200
        (card,) = await response_posts(fake_slack, sent.token, count=1)
        assert "Page 1 of 3" in text_of(card)
    finally:
        await driver.http.aclose()


async def test_the_image_health_check_passes_while_the_bot_serves_and_fails_after(
    image: Image, container: tuple[asyncio.subprocess.Process, dict[str, str], Path]
) -> None:
    process, env, workdir = container
    code, out, err = await run(image.health_command, env, workdir)
    assert code == 0, err
    assert f":{env['PORT']}/healthz" in out
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=20) == 0
    code, _, err = await run(image.health_command, env, workdir)
    assert code != 0
    assert "unhealthy" in err
