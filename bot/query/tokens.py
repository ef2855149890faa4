"""The words of a command: split on whitespace, with quotes and Slack's ``<…>`` kept whole."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.query.markup import (
    CLOSE_QUOTES,
    OPEN_QUOTES,
    SLACK_MARKUP,
    markup_parts,
    plain_spaces,
    quote_in_code,
    unwrap_slack_markup,
)
from bot.query.model import UsageError


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a command: as typed (``raw``) and as meant (``text``)."""

    raw: str
    text: str
    quoted: bool = False
    markup: str | None = None
    """The kind of Slack markup when the word is exactly one ``<…>``."""

    @property
    def plain(self) -> bool:
        """Neither quoted nor markup: a word that may be a keyword or a date."""
        return not self.quoted and self.markup is None


_QUOTED_VALUE_KEY = re.compile(r"find:(?=[\"“”„])", re.IGNORECASE)
"""``find:"EU 42"``: the one option whose value may be quoted right after its colon; the key
becomes a word of its own and the quoted id the next."""
_WORD = re.compile(r"(?:<[^<>]*>|\S)+")
"""One word: up to the next whitespace, a whole ``<…>`` (spaces and all) taken as one piece.
``\\S`` in a str pattern is what ``str.isspace`` does not call whitespace."""


def tokenize(text: str) -> list[Token] | UsageError:
    """Words split on any whitespace; ``"…"`` (or ``“…”``) and ``<…>`` stay whole."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in OPEN_QUOTES:
            close = next((j for j in range(i + 1, n) if text[j] in CLOSE_QUOTES), -1)
            if close < 0:
                return UsageError(
                    f"The quote in {quote_in_code(text[i:].strip())} is never closed; "
                    "end the member with another quote."
                )
            inner = plain_spaces(unwrap_slack_markup(text[i + 1 : close]))
            tokens.append(Token(raw=text[i : close + 1], text=inner, quoted=True))
            i = close + 1
            continue
        keyed = _QUOTED_VALUE_KEY.match(text, i)
        if keyed:
            tokens.append(Token(raw=keyed.group(), text=keyed.group()))
            i = keyed.end()
            continue
        word = _WORD.match(text, i)
        assert word is not None  # text[i] is not whitespace, so at least one character
        j = word.end()
        raw = text[i:j]
        whole = SLACK_MARKUP.fullmatch(raw)
        kind = markup_parts(whole.group(1))[0] if whole else None
        tokens.append(
            Token(raw=raw, text=plain_spaces(unwrap_slack_markup(raw)).strip(), markup=kind)
        )
        i = j
    return tokens


def as_typed(tokens: Sequence[Token]) -> str:
    """The words as typed, for quoting in a message.

    A value split off ``key:value`` has no ``raw`` of its own (its key token holds it all);
    leading a span, it shows as its text.
    """
    words = [t.raw for t in tokens if t.raw]
    if tokens and not tokens[0].raw:
        words.insert(0, tokens[0].text)
    return " ".join(words)
