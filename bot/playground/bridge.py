"""Both directions between the page and the bot, exactly as Slack would carry them.

Past 600 lines on purpose: one class, the Bridge, one handler per kind of Slack request and
Web API call, all sharing the workspace and the trigger and response_url rules they enforce.

Page → bot: what the person did becomes a signed HTTP request to the bot's ``/slack/events``
(a slash command form, or a ``block_actions`` / ``message_action`` / ``view_submission``
payload), with a fresh ``response_url`` and ``trigger_id``; the synchronous answer (a
command's ack body, a submission's ``response_action``) is applied as Slack applies it.

Bot → page: every Web API call and ``response_url`` post lands on the :class:`FakeSlack`, which
tells :meth:`Bridge.on_slack_call`; each becomes a change to the :class:`Workspace` — a new
message, a message replaced in place, a thread reply, a modal, a shared file. Slack's rules
that the fake does not enforce (trigger ids expire after 3 s and work once; a ``response_url``
takes 5 posts in 30 minutes) are checked here and reported on the page, so a bot that breaks
them is caught in the playground, not in production.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.blockkit import escape
from bot.fake_slack import BOT_USER_ID, RESPONSE_METHOD, FakeSlack, SlackCall, payloads
from bot.fake_slack.signing import signed_headers
from bot.playground import home
from bot.playground.markup import slack_message_text
from bot.playground.state import (
    AUTHORS,
    CHANNEL_ID,
    USER_ID,
    Author,
    FileRef,
    Message,
    Workspace,
)

log = logging.getLogger(__name__)

COMMAND = "/purchases"
ACK_TIMEOUT_SECONDS = 3.0
"""Slack gives an app 3 s to answer before it shows ``operation_timeout``."""
TRIGGER_LIFETIME_SECONDS = 3.0
RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_LIFETIME_SECONDS = 30 * 60
FILES_PATH = "/files"

_COMMAND_LINE = re.compile(r"(/\S+)\s*(.*)", re.DOTALL)
_ERROR_HELP = {
    "operation_timeout": "The app did not answer within 3 seconds.",
    "dispatch_failed": "The app could not be reached.",
}


class PlaygroundError(Exception):
    """A page request that cannot be carried out (unknown message, closed modal…)."""


@dataclass(frozen=True)
class BotAnswer:
    """The bot's synchronous HTTP answer to one request (or why there was none)."""

    status: int | None
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the bot acknowledged in time with HTTP 200."""
        return self.error is None and self.status == 200

    def json(self) -> dict[str, Any] | None:
        """The body as a JSON object, or None when it is empty or not JSON."""
        try:
            loaded = json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None

    def describe(self) -> dict[str, Any]:
        """What the page is told about the request."""
        return {"ok": self.ok, "status": self.status, "error": self.error}


@dataclass
class Origin:
    """Where an interaction happened: what its ``response_url`` posts act on."""

    channel: str
    thread_ts: str | None = None
    message_id: str | None = None
    """The message the interaction came from (for ``replace_original``/``delete_original``)."""
    created: float = field(default_factory=time.monotonic)
    posts: int = 0


@dataclass
class _Trigger:
    created: float = field(default_factory=time.monotonic)
    used: bool = False


def _flag(value: Any) -> bool:
    """A boolean from JSON (``true``) or a form (``"true"``)."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _blocks(value: Any) -> list[dict[str, Any]]:
    """Blocks from a call's arguments, with the ids Slack fills in."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if not isinstance(value, list):
        return []
    return payloads.with_ids([b for b in value if isinstance(b, dict)])


class Bridge:
    """Carries the page's actions to the bot and the bot's calls back to the workspace."""

    def __init__(
        self,
        workspace: Workspace,
        fake: FakeSlack,
        *,
        events_url: str,
        signing_secret: str,
    ) -> None:
        self.workspace = workspace
        self.fake = fake
        self.events_url = events_url
        self._secret = signing_secret
        self._origins: dict[str, Origin] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._file_names: dict[str, str] = {}
        self._tokens = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        fake.subscribe(self.on_slack_call)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- identities --------------------------------------------------------------------------

    @staticmethod
    def _me() -> dict[str, Any]:
        return payloads.user_object(USER_ID, "you")

    def _channel_name(self, channel_id: str) -> str:
        return self.workspace.conversation(channel_id).name

    def issue_response_url(self, origin: Origin) -> str:
        """A fresh ``response_url`` whose posts act on ``origin``."""
        now = time.monotonic()
        for old in [t for t, o in self._origins.items() if now - o.created > 2 * 3600]:
            del self._origins[old]  # long past Slack's 30 minutes
        token = f"t{next(self._tokens)}"
        self._origins[token] = origin
        return self.fake.response_url(token)

    def issue_trigger_id(self) -> str:
        """A fresh ``trigger_id``, good once for 3 seconds as in Slack."""
        now = time.monotonic()
        for old in [t for t, info in self._triggers.items() if now - info.created > 60]:
            del self._triggers[old]
        trigger_id = payloads.new_trigger_id()
        self._triggers[trigger_id] = _Trigger()
        return trigger_id

    def _take_trigger(self, trigger_id: Any) -> str | None:
        """Use a trigger once; the Slack error code if it cannot be used."""
        info = self._triggers.get(str(trigger_id))
        if info is None:
            return "invalid_trigger_id"
        if info.used:
            return "exchanged_trigger_id"
        if time.monotonic() - info.created > TRIGGER_LIFETIME_SECONDS:
            return "expired_trigger_id"
        info.used = True
        return None

    # -- sending -----------------------------------------------------------------------------

    async def send(
        self, body: bytes, *, content_type: str = payloads.FORM_CONTENT_TYPE
    ) -> BotAnswer:
        """POST ``body`` to the bot, signed as Slack signs; give up after 3 s as Slack does."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": content_type}
        headers |= signed_headers(self._secret, body)
        timeout = aiohttp.ClientTimeout(total=ACK_TIMEOUT_SECONDS)
        try:
            async with self._session.post(
                self.events_url, data=body, headers=headers, timeout=timeout
            ) as response:
                return BotAnswer(response.status, await response.read())
        except TimeoutError:
            return BotAnswer(None, error="operation_timeout")
        except aiohttp.ClientError:
            return BotAnswer(None, error="dispatch_failed")

    def _report_failure(
        self, what: str, answer: BotAnswer, *, channel: str, thread_ts: str | None = None
    ) -> None:
        """Say privately that the app failed, in Slack's words and then in plain ones."""
        code = answer.error or f"http_{answer.status}"
        detail = _ERROR_HELP.get(code) or f"The app answered HTTP {answer.status}."
        if answer.status == 401:
            detail = "The app refused the request's signature (HTTP 401)."
        self.workspace.system_notice(
            f'{escape(what)} failed with the error "{code}". {detail}',
            channel=channel,
            thread_ts=thread_ts,
        )

    # -- page → bot --------------------------------------------------------------------------

    def post_message(
        self, text: str, author: Author, *, channel: str = CHANNEL_ID, thread_ts: str | None = None
    ) -> Message:
        """A person posts a message (Slack formats its text) in the channel or a thread."""
        if not text.strip():
            raise PlaygroundError("the message is empty")
        if thread_ts is not None:
            parent = self.workspace.find_by_ts(channel, thread_ts)
            if parent is None or parent.ephemeral:
                raise PlaygroundError("no such thread")
            thread_ts = parent.thread_ts or parent.ts
        return self.workspace.add_message(
            channel=channel,
            user=AUTHORS[author],
            text=slack_message_text(text),
            thread_ts=thread_ts,
        )

    async def run_command(
        self, line: str, *, channel: str = CHANNEL_ID, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """A line starting with ``/``: the slash command, sent as Slack sends it."""
        match = _COMMAND_LINE.fullmatch(line.strip())
        if match is None:
            raise PlaygroundError("not a slash command")
        command, text = match.group(1), match.group(2)
        if thread_ts is not None:
            self.workspace.system_notice(
                f"{escape(command)} is not supported in threads. Sorry!",
                channel=channel,
                thread_ts=thread_ts,
            )
            return {"ok": False, "error": "not_supported_in_threads"}
        if command != COMMAND:
            self.workspace.system_notice(
                f"`{escape(command)}` is not a valid command. In Slack, all messages that "
                f"start with “/” are commands. This app's command is `{COMMAND}`.",
                channel=channel,
            )
            return {"ok": False, "error": "unknown_command"}
        self.workspace.add_message(
            channel=channel, user=USER_ID, text=escape(line.strip()), ephemeral=True, kind="command"
        )
        form = payloads.slash_command(
            command=command,
            text=text,
            user=self._me(),
            channel_id=channel,
            channel_name=self._channel_name(channel),
            response_url=self.issue_response_url(Origin(channel)),
            trigger_id=self.issue_trigger_id(),
        )
        answer = await self.send(payloads.form_body(form))
        if not answer.ok:
            self._report_failure(command, answer, channel=channel)
            return answer.describe()
        self._show_ack(answer, channel)
        return answer.describe()

    def _show_ack(self, answer: BotAnswer, channel: str) -> None:
        """A command's ack body is a message: ephemeral unless it says ``in_channel``."""
        if not answer.body.strip():
            return
        body = answer.json()
        if body is None:  # a plain-text body is shown as it is
            text, blocks, visible = answer.body.decode("utf-8", "replace"), [], False
        else:
            text = str(body.get("text") or "")
            blocks = _blocks(body.get("blocks"))
            visible = body.get("response_type") == "in_channel"
        self.workspace.add_message(
            channel=channel, user=BOT_USER_ID, text=text, blocks=blocks, ephemeral=not visible
        )

    def _message(self, message_id: str) -> Message:
        message = self.workspace.find(message_id)
        if message is None:
            raise PlaygroundError("that message is gone")
        return message

    async def click(
        self,
        message_id: str,
        block_id: str,
        action_id: str,
        *,
        chosen: Any = None,
        values: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A button click (or a select/date pick) on a message: ``block_actions``."""
        message = self._message(message_id)
        element = payloads.find_element(message.blocks, block_id, action_id)
        if element is None:
            raise PlaygroundError("that button is not on the message")
        origin = Origin(message.channel, thread_ts=message.thread_ts, message_id=message.id)
        payload = payloads.block_actions(
            user=self._me(),
            message=message,
            channel_name=self._channel_name(message.channel),
            action=payloads.action_of(element, block_id, chosen),
            response_url=self.issue_response_url(origin),
            trigger_id=self.issue_trigger_id(),
            values=payloads.state_values(message.blocks, values or {}),
        )
        answer = await self.send(payloads.payload_body(payload))
        if not answer.ok:
            self._report_failure(
                "The button", answer, channel=message.channel, thread_ts=message.thread_ts
            )
        return answer.describe()

    async def click_in_view(
        self,
        view_id: str,
        block_id: str,
        action_id: str,
        *,
        chosen: Any = None,
        values: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A button click (or select) inside a modal: ``block_actions`` with a view container."""
        modal = self.workspace.modal(view_id)
        if modal is None:
            raise PlaygroundError("that modal is closed")
        blocks = modal.view.get("blocks") or []
        element = payloads.find_element(blocks, block_id, action_id)
        if element is None:
            raise PlaygroundError("that button is not in the modal")
        state = payloads.state_values(blocks, values or {})
        view = payloads.view_object(view_id, modal.view, state)
        payload = payloads.view_block_actions(
            user=self._me(),
            view=view,
            action=payloads.action_of(element, block_id, chosen),
            trigger_id=self.issue_trigger_id(),
        )
        answer = await self.send(payloads.payload_body(payload))
        if not answer.ok:
            self._report_failure("The button", answer, channel=CHANNEL_ID)
        return answer.describe()

    async def shortcut(self, message_id: str) -> dict[str, Any]:
        """The message shortcut **Purchase history** on a message."""
        message = self._message(message_id)
        if message.ephemeral:
            raise PlaygroundError("shortcuts cannot be used on messages only you can see")
        payload = payloads.message_action(
            user=self._me(),
            message=message,
            channel_name=self._channel_name(message.channel),
            response_url=self.issue_response_url(Origin(message.channel)),
            trigger_id=self.issue_trigger_id(),
        )
        answer = await self.send(payloads.payload_body(payload))
        if not answer.ok:
            self._report_failure("Purchase history", answer, channel=message.channel)
        return answer.describe() | {"thread_ts": message.thread_ts or message.ts}

    async def submit_view(self, view_id: str, values: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The modal's submit button: ``view_submission``, then the bot's ``response_action``."""
        modal = self.workspace.modal(view_id)
        if modal is None:
            raise PlaygroundError("that modal is closed")
        blocks = modal.view.get("blocks") or []
        view = payloads.view_object(view_id, modal.view, payloads.state_values(blocks, values))
        payload = payloads.view_submission(
            user=self._me(), view=view, trigger_id=self.issue_trigger_id()
        )
        answer = await self.send(payloads.payload_body(payload))
        if not answer.ok:
            return answer.describe()
        body = answer.json() or {}
        action = body.get("response_action")
        if action == "errors":
            errors = body.get("errors")
            errors = {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
            self.workspace.set_modal_errors(view_id, errors)
            return answer.describe() | {"errors": errors}
        if action == "update" and isinstance(body.get("view"), dict):
            self.workspace.update_modal(view_id, self._view(body["view"]))
        elif action == "push" and isinstance(body.get("view"), dict):
            self.workspace.push_modal(f"V{next(self._tokens):09d}", self._view(body["view"]))
        elif action == "clear":
            self.workspace.close_all_modals()
        else:
            self.workspace.close_modal(view_id)
        return answer.describe()

    async def close_view(self, view_id: str) -> dict[str, Any]:
        """The modal's close button; Slack tells the app only if the view asked to be told."""
        modal = self.workspace.modal(view_id)
        if modal is None:
            return {"ok": True}
        self.workspace.close_modal(view_id)
        if not modal.view.get("notify_on_close"):
            return {"ok": True}
        blocks = modal.view.get("blocks") or []
        view = payloads.view_object(view_id, modal.view, payloads.state_values(blocks, {}))
        answer = await self.send(
            payloads.payload_body(payloads.view_closed(user=self._me(), view=view))
        )
        return answer.describe()

    # -- bot → page --------------------------------------------------------------------------

    @staticmethod
    def _view(view: dict[str, Any]) -> dict[str, Any]:
        return dict(view) | {"blocks": _blocks(view.get("blocks"))}

    async def on_slack_call(self, call: SlackCall) -> None:
        """Turn one call the bot made to (fake) Slack into what a person would see."""
        if call.method != RESPONSE_METHOD and not call.result.get("ok"):
            return  # a failure the fake was told to inject: nothing happened in Slack
        try:
            self._apply(call)
        except Exception:  # the page must survive any call the bot makes
            log.exception("playground could not show a %s call", call.method)

    def _apply(self, call: SlackCall) -> None:
        args = call.message
        match call.method:
            case "response_url":
                self._on_response_url(args)
            case "chat.postMessage":
                self._on_post(args, ts=str(call.result.get("ts") or ""), ephemeral=False)
            case "chat.postEphemeral":
                self._on_post(args, ts=str(call.result.get("message_ts") or ""), ephemeral=True)
            case "chat.update":
                found = self._posted(args)
                if found is not None:
                    text, blocks = str(args.get("text") or ""), _blocks(args.get("blocks"))
                    self.workspace.replace_message(found.id, text=text, blocks=blocks)
            case "chat.delete":
                found = self._posted(args)
                if found is not None:
                    self.workspace.remove_message(found.id)
            case "views.open" | "views.push":
                self._on_view_opened(call.method, args, call.result)
            case "views.publish":
                home.on_published(
                    self.workspace, args, _blocks((args.get("view") or {}).get("blocks"))
                )
            case "views.update":
                view_id = str(args.get("view_id") or "")
                view = args.get("view")
                if isinstance(view, dict):
                    self.workspace.update_modal(view_id, self._view(view))
            case "conversations.open":
                channel = call.result.get("channel")
                if isinstance(channel, dict) and channel.get("id"):
                    self.workspace.conversation(str(channel["id"]))
            case "files.getUploadURLExternal":
                self._file_names[str(call.result.get("file_id"))] = str(
                    args.get("filename") or "file"
                )
            case "files.completeUploadExternal":
                self._on_files_shared(args)
            case _:
                pass  # auth.test and the like change nothing on screen

    @staticmethod
    def _dm_for(channel: Any) -> str:
        """Posting to a user id posts to the DM with the app, as in Slack."""
        name = str(channel or CHANNEL_ID)
        return "D" + name[1:] if name.startswith(("U", "W")) else name

    def _posted(self, args: dict[str, Any]) -> Message | None:
        """The message a ``chat.update``/``chat.delete`` names by channel and ``ts``."""
        return self.workspace.find_by_ts(self._dm_for(args.get("channel")), str(args.get("ts")))

    def _thread_of(self, channel: str, thread_ts: Any) -> str | None:
        """The thread a post lands in: its root's ts, or None if no such message exists."""
        if not thread_ts:
            return None
        parent = self.workspace.find_by_ts(channel, str(thread_ts))
        if parent is None:
            return None
        return parent.thread_ts or parent.ts

    def _on_post(self, args: dict[str, Any], *, ts: str, ephemeral: bool) -> None:
        channel = self._dm_for(args.get("channel"))
        thread_ts = self._thread_of(channel, args.get("thread_ts"))
        if ephemeral and args.get("user") != USER_ID:
            self.workspace.system_notice(
                f"The app sent a message only <@{escape(str(args.get('user')))}> can see.",
                channel=channel,
                thread_ts=thread_ts,
            )
            return
        self.workspace.add_message(
            channel=channel,
            user=BOT_USER_ID,
            text=str(args.get("text") or ""),
            blocks=_blocks(args.get("blocks")),
            thread_ts=thread_ts,
            ephemeral=ephemeral,
            ts=ts or None,
        )

    def _on_response_url(self, args: dict[str, Any]) -> None:
        origin = self._origins.get(str(args.get("_token")))
        if origin is None:
            self.workspace.system_notice("The app posted to a response_url Slack never issued.")
            return
        origin.posts += 1
        problem = None
        if origin.posts > RESPONSE_URL_MAX_POSTS:
            problem = f"more than {RESPONSE_URL_MAX_POSTS} times"
        elif time.monotonic() - origin.created > RESPONSE_URL_LIFETIME_SECONDS:
            problem = "after 30 minutes"
        if problem:
            self.workspace.system_notice(
                f"The app used a response_url {problem}; Slack would refuse that post.",
                channel=origin.channel,
                thread_ts=origin.thread_ts,
            )
            return
        text = str(args.get("text") or "")
        blocks = _blocks(args.get("blocks"))
        original = self.workspace.find(origin.message_id) if origin.message_id else None
        if _flag(args.get("delete_original")):
            if original is not None:
                self.workspace.remove_message(original.id)
            return
        if _flag(args.get("replace_original")) and original is not None:
            self.workspace.replace_message(original.id, text=text, blocks=blocks)
            return
        self.workspace.add_message(
            channel=origin.channel,
            user=BOT_USER_ID,
            text=text,
            blocks=blocks,
            thread_ts=origin.thread_ts,
            ephemeral=args.get("response_type") != "in_channel",
        )

    def _on_view_opened(self, method: str, args: dict[str, Any], result: dict[str, Any]) -> None:
        problem = self._take_trigger(args.get("trigger_id"))
        if problem is not None:
            self.workspace.system_notice(
                f"The app called {method} and Slack would answer `{problem}`: a trigger_id "
                f"works once, within {TRIGGER_LIFETIME_SECONDS:.0f} seconds of the click."
            )
            return
        view = args.get("view")
        opened = result.get("view")
        if not isinstance(view, dict) or not isinstance(opened, dict):
            return
        view_id = str(opened.get("id"))
        if method == "views.open":
            self.workspace.open_modal(view_id, self._view(view))
        else:
            self.workspace.push_modal(view_id, self._view(view))

    def _on_files_shared(self, args: dict[str, Any]) -> None:
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        channel = self._dm_for(args.get("channel_id") or args.get("channels"))
        refs = []
        for item in files if isinstance(files, list) else []:
            file_id = str(item.get("id"))
            name = self._file_names.get(file_id, "file")
            refs.append(
                FileRef(
                    id=file_id,
                    name=name,
                    title=str(item.get("title") or name),
                    size=len(self.fake.uploads.get(file_id, b"")),
                    url=f"{FILES_PATH}/{quote(file_id)}/{quote(name)}",
                )
            )
        self.workspace.add_message(
            channel=channel,
            user=BOT_USER_ID,
            text=str(args.get("initial_comment") or ""),
            thread_ts=self._thread_of(channel, args.get("thread_ts")),
            files=refs,
        )

    def file(self, file_id: str) -> tuple[str, bytes] | None:
        """A shared file's name and content, for the download link."""
        content = self.fake.uploads.get(file_id)
        if content is None:
            return None
        return self._file_names.get(file_id, "file"), content
