"""Block Kit's limits as checks: each block parsed by slack_sdk's models, plus the rules they miss.

Every message and modal the bot sends goes through :func:`message_problems` /
:func:`view_problems` in the tests, so a limit Slack would answer with ``invalid_blocks`` fails
here first. The limits are Slack's documented ones (``docs/slack-platform.md``).

slack_sdk's models check (on ``to_dict()`` / ``validate_json()``): header text 150; section text
3000, at most 10 fields, text or fields present; context 10 and actions 25 elements; button text
75, value 2000, url 3000, accessibility_label 75, style; ``action_id`` and ``block_id`` 255; input
label and hint 2000 and its element present; placeholder 150; 100 select options; the date's
``YYYY-MM-DD`` start; image url 3000 and alt text 2000; a view's title, submit and close 24,
``private_metadata`` 3000, ``callback_id`` 255 and 1 to 100 blocks; unknown block types.
``tests/unit/test_blockkit.py`` proves each of those is still caught.

:class:`_Checker` keeps only what slack_sdk does not check:

- the message: a non-empty top-level ``text`` fallback (≤ 40,000 and ≤ 4,000 advised),
  ``response_type``, boolean ``replace_original`` / ``delete_original``, at most 50 blocks, each
  an object, at most 12,000 characters of text across the blocks, input blocks only in modals;
- ``block_id`` and ``action_id`` each used once;
- text objects: an object whose type is ``plain_text`` or ``mrkdwn`` (slack_sdk reads any other
  type as mrkdwn), ``plain_text`` where Slack requires it, and non-empty string text;
- ids, values, urls and labels are strings (slack_sdk only takes their ``len()``);
- each section field 2,000 and each context text 3,000 characters; fields, context and actions
  elements and select options non-empty lists;
- select options (slack_sdk keeps them as raw dicts): plain_text text ≤ 75, a value ≤ 150, the
  initial option one of them; a text input's ``max_length`` 1..3000 and ``initial_value`` within
  it; ``initial_date`` a real calendar day (slack_sdk's pattern is unanchored at the end and lets
  through 2024-02-30); an image's url and alt text present;
- the view: ``type`` modal, a title, and a submit button when it has input blocks;
- an element of a type slack_sdk has no model for: it skips such an element silently, so none
  of its limits would be checked (Slack refuses it too; added when the limits moved to slack_sdk).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

from bot.blockkit import OPTION_TEXT_MAX, SECTION_TEXT_MAX, TEXT_RECOMMENDED_MAX

MESSAGE_MAX_BLOCKS = 50
TEXT_MAX = 40_000
BLOCK_TEXT_MAX = 12_000
SECTION_FIELD_MAX = 2000
PLAIN_TEXT_INPUT_MAX_LENGTH = 3000
OPTION_VALUE_MAX = 150

_TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
_RESPONSE_TYPES = frozenset({"ephemeral", "in_channel"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SDK_ERRORS = (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError)


@dataclass
class _Checker:
    """Walks one message or view, collecting every problem with where it is."""

    in_modal: bool
    problems: list[str] = field(default_factory=list)
    block_ids: set[str] = field(default_factory=set)
    action_ids: set[str] = field(default_factory=set)
    block_text_chars: int = 0

    def problem(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def string(
        self, where: str, value: Any, limit: int | None = None, *, required: bool = False
    ) -> None:
        """An optional (or required) string; at most ``limit`` characters where one is given."""
        if value is None:
            if required:
                self.problem(where, "is missing")
        elif not isinstance(value, str):
            self.problem(where, f"must be a string, not {type(value).__name__}")
        elif required and not value:
            self.problem(where, "is empty")
        elif limit is not None and len(value) > limit:
            self.problem(where, f"is {len(value)} chars, over the limit of {limit}")

    def text(
        self,
        where: str,
        obj: Any,
        limit: int | None = None,
        *,
        plain: bool = False,
        required: bool = True,
    ) -> None:
        """A text object: valid ``type`` (``plain_text`` when ``plain``), non-empty, ≤ limit."""
        if obj is None:
            if required:
                self.problem(where, "is missing")
            return
        if not isinstance(obj, Mapping):
            self.problem(where, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in _TEXT_TYPES:
            self.problem(where, f"type {kind!r} is not plain_text or mrkdwn")
        elif plain and kind != "plain_text":
            self.problem(where, "must be plain_text")
        self.string(f"{where}.text", obj.get("text"), limit, required=True)
        if isinstance(obj.get("text"), str):
            self.block_text_chars += len(obj["text"])

    def block_id(self, where: str, value: Any) -> None:
        self.string(f"{where}.block_id", value)
        if isinstance(value, str):
            if value in self.block_ids:
                self.problem(where, f"block_id {value!r} is used twice")
            self.block_ids.add(value)

    def action_id(self, where: str, value: Any) -> None:
        self.string(f"{where}.action_id", value)
        if isinstance(value, str):
            if value in self.action_ids:
                self.problem(where, f"action_id {value!r} is used twice")
            self.action_ids.add(value)

    def blocks(self, blocks: Any, limit: int | None) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, Sequence) or isinstance(blocks, str):
            self.problem("blocks", "must be a list")
            return
        if limit is not None and len(blocks) > limit:
            self.problem("blocks", f"has {len(blocks)} blocks, over the limit of {limit}")
        for i, block in enumerate(blocks):
            self.block(f"blocks[{i}]", block)
        if self.block_text_chars > BLOCK_TEXT_MAX:
            self.problem(
                "blocks",
                f"hold {self.block_text_chars} chars of text, over the limit of {BLOCK_TEXT_MAX}",
            )

    def block(self, where: str, block: Any) -> None:
        if not isinstance(block, Mapping):
            self.problem(where, "must be an object")
            return
        kind = block.get("type")
        where = f"{where} ({kind})"
        self.block_id(where, block.get("block_id"))
        rule = _BLOCK_RULES.get(kind) if isinstance(kind, str) else None
        if rule is not None:
            rule(self, where, block)
        self.problems.extend(_sdk_problems(where, lambda: _sdk_check_block(block)))

    def element(self, where: str, element: Any) -> None:
        if not isinstance(element, Mapping):
            self.problem(where, "must be an object")
            return
        kind = element.get("type")
        where = f"{where} ({kind})"
        if not _sdk_knows_element(element):
            self.problem(
                where, "slack_sdk: unknown element type, so none of its limits are checked"
            )
        if "action_id" in element:
            self.action_id(where, element["action_id"])
        rule = _ELEMENT_RULES.get(kind) if isinstance(kind, str) else None
        if rule is not None:
            rule(self, where, element)
        if "placeholder" in element:
            self.text(f"{where}.placeholder", element["placeholder"], plain=True)

    def elements(self, where: str, elements: Any) -> list[Any]:
        """A non-empty list; returns it (or [] when it is not one). Its length is slack_sdk's."""
        if not isinstance(elements, Sequence) or isinstance(elements, str) or not elements:
            self.problem(where, "must be a non-empty list")
            return []
        return list(elements)

    # ---- blocks ----

    def _header(self, where: str, block: Mapping[str, Any]) -> None:
        self.text(f"{where}.text", block.get("text"), plain=True)

    def _section(self, where: str, block: Mapping[str, Any]) -> None:
        self.text(f"{where}.text", block.get("text"), required=False)
        fields = block.get("fields")
        if fields is not None:
            for i, item in enumerate(self.elements(f"{where}.fields", fields)):
                self.text(f"{where}.fields[{i}]", item, SECTION_FIELD_MAX)
        if "accessory" in block:
            self.element(f"{where}.accessory", block["accessory"])

    def _context(self, where: str, block: Mapping[str, Any]) -> None:
        for i, item in enumerate(self.elements(f"{where}.elements", block.get("elements"))):
            here = f"{where}.elements[{i}]"
            if isinstance(item, Mapping) and item.get("type") == "image":
                self.element(here, item)
            else:
                self.text(here, item, SECTION_TEXT_MAX)

    def _actions(self, where: str, block: Mapping[str, Any]) -> None:
        for i, item in enumerate(self.elements(f"{where}.elements", block.get("elements"))):
            self.element(f"{where}.elements[{i}]", item)

    def _input(self, where: str, block: Mapping[str, Any]) -> None:
        if not self.in_modal:
            self.problem(where, "input blocks belong in modals, not messages")
        self.text(f"{where}.label", block.get("label"), plain=True)
        self.text(f"{where}.hint", block.get("hint"), plain=True, required=False)
        if "element" in block:
            self.element(f"{where}.element", block["element"])

    def _image_block(self, where: str, block: Mapping[str, Any]) -> None:
        self._image(where, block)
        self.text(f"{where}.title", block.get("title"), required=False)

    # ---- elements ----

    def _button(self, where: str, element: Mapping[str, Any]) -> None:
        self.text(f"{where}.text", element.get("text"), plain=True)
        for name in ("value", "url", "accessibility_label"):
            self.string(f"{where}.{name}", element.get(name))

    def _static_select(self, where: str, element: Mapping[str, Any]) -> None:
        options = self.elements(f"{where}.options", element.get("options"))
        for i, option in enumerate(options):
            self.option(f"{where}.options[{i}]", option)
        initial = element.get("initial_option")
        if initial is not None and initial not in options:
            self.problem(where, "initial_option is not one of the options")

    def option(self, where: str, option: Any) -> None:
        if not isinstance(option, Mapping):
            self.problem(where, "must be an option object")
            return
        self.text(f"{where}.text", option.get("text"), OPTION_TEXT_MAX, plain=True)
        self.string(f"{where}.value", option.get("value"), OPTION_VALUE_MAX, required=True)

    def _plain_text_input(self, where: str, element: Mapping[str, Any]) -> None:
        max_length = element.get("max_length", PLAIN_TEXT_INPUT_MAX_LENGTH)
        if not isinstance(max_length, int) or not 1 <= max_length <= PLAIN_TEXT_INPUT_MAX_LENGTH:
            self.problem(where, f"max_length must be 1..{PLAIN_TEXT_INPUT_MAX_LENGTH}")
            max_length = PLAIN_TEXT_INPUT_MAX_LENGTH
        self.string(f"{where}.initial_value", element.get("initial_value"), max_length)

    def _datepicker(self, where: str, element: Mapping[str, Any]) -> None:
        initial = element.get("initial_date")
        if initial is not None and not _is_iso_date(initial):
            self.problem(where, f"initial_date {initial!r} is not a YYYY-MM-DD date")

    def _image(self, where: str, element: Mapping[str, Any]) -> None:
        self.string(f"{where}.image_url", element.get("image_url"), required=True)
        self.string(f"{where}.alt_text", element.get("alt_text"), required=True)


_Rule = Callable[[_Checker, str, Mapping[str, Any]], None]
_BLOCK_RULES: dict[str, _Rule] = {
    "header": _Checker._header,
    "section": _Checker._section,
    "context": _Checker._context,
    "actions": _Checker._actions,
    "input": _Checker._input,
    "image": _Checker._image_block,
}
_ELEMENT_RULES: dict[str, _Rule] = {
    "button": _Checker._button,
    "static_select": _Checker._static_select,
    "plain_text_input": _Checker._plain_text_input,
    "datepicker": _Checker._datepicker,
    "image": _Checker._image,
}


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _sdk_problems(where: str, check: Callable[[], None]) -> list[str]:
    """What slack_sdk's models find wrong, as problems."""
    try:
        check()
    except _SDK_ERRORS as error:
        return [f"{where}: slack_sdk: {error}"]
    return []


def _sdk_check_block(block: Mapping[str, Any]) -> None:
    """Parse with slack_sdk; ``to_dict()`` runs ``validate_json()`` on everything nested."""
    model = Block.parse(dict(block))
    if model is None:
        raise ValueError("unknown block type")
    model.to_dict()


def _sdk_knows_element(element: Mapping[str, Any]) -> bool:
    """Whether slack_sdk has a model for this element; it skips (so never checks) the rest."""
    try:
        return BlockElement.parse(dict(element)) is not None
    except _SDK_ERRORS:
        return True  # a model that refused these fields: the block's own check reports why


def _sdk_check_view(view: Mapping[str, Any]) -> None:
    """The view's own fields (its blocks are checked one by one)."""
    View(**view).validate_json()


def message_problems(message: Mapping[str, Any]) -> list[str]:
    """Every way ``message`` breaks a Block Kit limit; ``[]`` when it is within all of them."""
    checker = _Checker(in_modal=False)
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        checker.problem("text", "a non-empty top-level text fallback is required")
    elif len(text) > TEXT_MAX:
        checker.problem("text", f"is {len(text)} chars, over Slack's limit of {TEXT_MAX}")
    elif len(text) > TEXT_RECOMMENDED_MAX:
        checker.problem("text", f"is {len(text)} chars, over the {TEXT_RECOMMENDED_MAX} advised")
    response_type = message.get("response_type")
    if response_type is not None and response_type not in _RESPONSE_TYPES:
        checker.problem("response_type", f"{response_type!r} is not ephemeral or in_channel")
    for flag in ("replace_original", "delete_original"):
        if flag in message and not isinstance(message[flag], bool):
            checker.problem(flag, "must be true or false")
    checker.blocks(message.get("blocks"), MESSAGE_MAX_BLOCKS)
    return checker.problems


def view_problems(view: Mapping[str, Any]) -> list[str]:
    """Every way a modal or Home ``view`` breaks a Block Kit limit; ``[]`` when within all.

    A Home tab (``type: home``) has no title, submit or close; its blocks follow the same rules.
    """
    checker = _Checker(in_modal=True)
    home = view.get("type") == "home"
    if view.get("type") != "modal" and not home:
        checker.problem("type", "must be modal or home")
    checker.text("title", view.get("title"), plain=True, required=not home)
    for name in ("submit", "close"):
        checker.text(name, view.get(name), plain=True, required=False)
    checker.string("private_metadata", view.get("private_metadata"))
    checker.string("callback_id", view.get("callback_id"))
    blocks = view.get("blocks")
    if "submit" not in view and _has_input(blocks):
        checker.problem("submit", "a modal with input blocks needs a submit button")
    checker.blocks(blocks, None)
    checker.problems.extend(_sdk_problems("view", lambda: _sdk_check_view(view)))
    return checker.problems


def _has_input(blocks: Any) -> bool:
    if not isinstance(blocks, Sequence) or isinstance(blocks, str):
        return False
    return any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)


def _raise_problems(what: str, problems: list[str]) -> None:
    if problems:
        raise AssertionError(f"{what} breaks Block Kit limits:\n- " + "\n- ".join(problems))


def assert_valid_message(message: Mapping[str, Any]) -> None:
    """Raise AssertionError listing every problem of ``message``."""
    _raise_problems("message", message_problems(message))


def assert_valid_view(view: Mapping[str, Any]) -> None:
    """Raise AssertionError listing every problem of ``view``."""
    _raise_problems("view", view_problems(view))
