"""The playground's picture of a Slack workspace: conversations, messages, threads and modals.

Pure data and the changes to it; nothing here speaks HTTP. Every change is also published as
an event (a JSON-able dict) to every subscriber, which is how the page updates live: a
subscriber gets a ``snapshot`` first and then only the changes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID

USER_ID = "UPLAYAGENT"
"""The person using the playground: a support agent."""
CUSTOMER_ID = "UPLAYCUSTM"
"""A customer whose messages the agent can run the shortcut on."""
SYSTEM_ID = "USLACKBOT"
"""Who says what Slack itself would say (``operation_timeout``, unknown command…)."""
CHANNEL_ID = "CPLAYSUPRT"
CHANNEL_NAME = "support"

Author = Literal["you", "customer"]
AUTHORS: dict[str, str] = {"you": USER_ID, "customer": CUSTOMER_ID}

MessageKind = Literal["message", "command", "system"]
Event = dict[str, Any]


@dataclass(frozen=True)
class User:
    """Someone who can appear in the conversation."""

    id: str
    name: str
    real_name: str
    is_bot: bool = False


USERS: tuple[User, ...] = (
    User(USER_ID, "you", "You (agent)"),
    User(CUSTOMER_ID, "casey", "Casey Customer"),
    User(BOT_USER_ID, "purchases", "Purchases", is_bot=True),
    User(SYSTEM_ID, "slackbot", "Slackbot", is_bot=True),
)


@dataclass(frozen=True)
class FileRef:
    """A file shared in a message, downloadable from the playground."""

    id: str
    name: str
    title: str
    size: int
    url: str


@dataclass
class Message:
    """One message as the page shows it; ``text`` is Slack-formatted mrkdwn."""

    id: str
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    ephemeral: bool = False
    kind: MessageKind = "message"
    files: list[FileRef] = field(default_factory=list)
    edited: bool = False

    def to_json(self) -> dict[str, Any]:
        """As sent to the page."""
        return asdict(self)

    def as_slack(self) -> dict[str, Any]:
        """The ``message`` object Slack puts in interaction payloads."""
        message: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if self.user == BOT_USER_ID:
            message |= {"bot_id": BOT_ID, "user": BOT_USER_ID, "blocks": self.blocks}
        else:
            message |= {"user": self.user, "team": TEAM_ID}
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        return message


@dataclass
class Conversation:
    """A channel or a direct message conversation with the bot."""

    id: str
    name: str
    kind: Literal["channel", "im"]


@dataclass
class Modal:
    """One view on the modal stack, with the field errors the bot last answered."""

    id: str
    view: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """As sent to the page."""
        return {"id": self.id, "view": self.view, "errors": self.errors}


class Workspace:
    """Everything the page shows, and the events that keep every open page in step."""

    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {
            CHANNEL_ID: Conversation(CHANNEL_ID, CHANNEL_NAME, "channel")
        }
        self.messages: dict[str, Message] = {}
        self.modals: list[Modal] = []
        self._ids = itertools.count(1)
        self._ts_seq = itertools.count(1)
        self._subscribers: list[asyncio.Queue[Event | None]] = []
        self._changed = asyncio.Event()
        self.home: dict[str, Any] | None = None
        """The Home tab the app last published for the signed-in agent (``views.publish``)."""
        self.info: dict[str, Any] = {}
        """Static facts for the page (sandbox or not, demo members); set by the server."""

    # -- reading ---------------------------------------------------------------------------

    def snapshot(self) -> Event:
        """The whole picture, as a page needs it on (re)connecting."""
        return {
            "type": "snapshot",
            "info": self.info,
            "users": {user.id: asdict(user) for user in USERS},
            "me": USER_ID,
            "conversations": [asdict(c) for c in self.conversations.values()],
            "messages": [m.to_json() for m in self.messages.values()],
            "modals": [m.to_json() for m in self.modals],
            "home": self.home,
        }

    def find(self, message_id: str) -> Message | None:
        """A message by the page's id."""
        return self.messages.get(message_id)

    def find_by_ts(self, channel: str, ts: str) -> Message | None:
        """A message by its channel and ``ts``, as the Web API names messages."""
        for message in self.messages.values():
            if message.channel == channel and message.ts == ts:
                return message
        return None

    def modal(self, view_id: str) -> Modal | None:
        """A view on the modal stack by id."""
        return next((m for m in self.modals if m.id == view_id), None)

    async def wait_for(
        self,
        predicate: Callable[[Workspace], bool],
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for the whole wait, as FakeSlack's
    ) -> None:
        """Wait until ``predicate`` holds (tests use this instead of sleeping)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the playground never reached the expected state")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)
            except TimeoutError:
                continue

    # -- events ----------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[Event | None]:
        """A queue that gets a snapshot now and every change after it; ``None`` means stop."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        queue.put_nowait(self.snapshot())
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        """Stop sending changes to ``queue``."""
        if queue in self._subscribers:
            self._subscribers.remove(queue)

    def close_subscribers(self) -> None:
        """Tell every subscriber to stop (the server is shutting down)."""
        for queue in self._subscribers:
            queue.put_nowait(None)
        self._subscribers.clear()

    def _publish(self, event: Event) -> None:
        self._changed.set()
        for queue in self._subscribers:
            queue.put_nowait(event)

    # -- changing --------------------------------------------------------------------------

    def new_ts(self) -> str:
        """A unique message timestamp in Slack's ``seconds.micro`` form."""
        return f"{int(time.time())}.{next(self._ts_seq):06d}"

    def conversation(self, channel_id: str) -> Conversation:
        """The conversation ``channel_id`` names, made up on first use (DMs, other channels)."""
        found = self.conversations.get(channel_id)
        if found is None:
            is_im = channel_id.startswith("D")
            name = "Purchases" if is_im else channel_id.lower()
            found = Conversation(channel_id, name, "im" if is_im else "channel")
            self.conversations[channel_id] = found
            self._publish({"type": "conversation", "conversation": asdict(found)})
        return found

    def add_message(
        self,
        *,
        channel: str,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        ephemeral: bool = False,
        kind: MessageKind = "message",
        ts: str | None = None,
        files: list[FileRef] | None = None,
    ) -> Message:
        """Add a message (or thread reply when ``thread_ts``) and publish it."""
        self.conversation(channel)
        message = Message(
            id=f"m{next(self._ids)}",
            channel=channel,
            ts=ts or self.new_ts(),
            user=user,
            text=text,
            blocks=list(blocks or []),
            thread_ts=thread_ts,
            ephemeral=ephemeral,
            kind=kind,
            files=list(files or []),
        )
        self.messages[message.id] = message
        self._publish({"type": "message", "message": message.to_json()})
        return message

    def system_notice(
        self, text: str, *, channel: str = CHANNEL_ID, thread_ts: str | None = None
    ) -> Message:
        """What Slack itself would tell the person, privately (errors from the app, …)."""
        return self.add_message(
            channel=channel,
            user=SYSTEM_ID,
            text=text,
            thread_ts=thread_ts,
            ephemeral=True,
            kind="system",
        )

    def replace_message(
        self, message_id: str, *, text: str, blocks: list[dict[str, Any]] | None
    ) -> Message | None:
        """Replace a message's content in place (same id, same place); publish it."""
        message = self.messages.get(message_id)
        if message is None:
            return None
        message.text = text
        message.blocks = list(blocks or [])
        message.edited = not message.ephemeral and message.user == BOT_USER_ID
        self._publish({"type": "message", "message": message.to_json()})
        return message

    def remove_message(self, message_id: str) -> None:
        """Delete a message; publish that it is gone."""
        if self.messages.pop(message_id, None) is not None:
            self._publish({"type": "removed", "id": message_id})

    def clear(self) -> None:
        """Forget every message and modal (the page's "clear" button)."""
        self.messages.clear()
        self.modals.clear()
        self._publish(self.snapshot())

    def set_home(self, view: dict[str, Any]) -> None:
        """The app published the agent's Home tab; publish it to the page."""
        self.home = view
        self._publish({"type": "home", "view": view})

    def _publish_modals(self) -> None:
        self._publish({"type": "modals", "modals": [m.to_json() for m in self.modals]})

    def open_modal(self, view_id: str, view: dict[str, Any]) -> None:
        """``views.open``: a new modal replaces whatever was open."""
        self.modals = [Modal(view_id, view)]
        self._publish_modals()

    def push_modal(self, view_id: str, view: dict[str, Any]) -> None:
        """``views.push``: a view on top of the open one."""
        self.modals.append(Modal(view_id, view))
        self._publish_modals()

    def update_modal(self, view_id: str, view: dict[str, Any]) -> bool:
        """``views.update`` (or ``response_action: update``); False if it is closed by now."""
        modal = self.modal(view_id)
        if modal is None:
            return False
        modal.view = view
        modal.errors = {}
        self._publish_modals()
        return True

    def set_modal_errors(self, view_id: str, errors: dict[str, str]) -> None:
        """Show the bot's ``response_action: errors`` under the fields."""
        modal = self.modal(view_id)
        if modal is not None:
            modal.errors = dict(errors)
            self._publish_modals()

    def close_modal(self, view_id: str) -> None:
        """Close one view (and any pushed on top of it)."""
        for i, modal in enumerate(self.modals):
            if modal.id == view_id:
                del self.modals[i:]
                self._publish_modals()
                return

    def close_all_modals(self) -> None:
        """``response_action: clear``."""
        if self.modals:
            self.modals = []
            self._publish_modals()
