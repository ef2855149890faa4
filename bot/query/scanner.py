"""Identifiers in a message, for the "Purchase history" shortcut: emails and phone numbers.

Found in plain text and in Slack's ``<mailto:…>`` / ``<tel:…>`` markup, in time linear in
the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from bot.crowdtwist.models import IdType
from bot.query.markup import SLACK_MARKUP, ZERO_WIDTH, markup_parts
from bot.query.members import DIGITS, PHONE_TEXT, digits_of
from bot.query.model import MAX_IDENTIFIERS, MAX_MEMBER_LENGTH, MAX_PHONE_DIGITS

_MAX_SCANNED = 50_000
"""How much of a message :func:`find_member_identifiers` reads (Slack's own cap is 40,000)."""

# The scanner is linear in the message's length by construction: no pattern here can run over
# the whole text from many starting points. Links and emails are found from their anchors
# ("://", "www.", "@") with each regex confined to a window of bounded length around the
# anchor (``_SCHEME_MAX``, ``_LOCAL_MAX`` and ``_DOMAIN_MAX`` characters), so the windows
# add up to at most a constant times the text. The other patterns either fail at once at a
# position or (possessively) consume the run they match and never look at it again.
_SCHEME_MAX = 32
_LOCAL_MAX = 64  # RFC 5321: a local part has at most 64 characters
_DOMAIN_MAX = 253  # and a domain at most 253
_SCHEME_CHARS_REVERSED = re.compile(rf"[A-Za-z0-9+.\-]{{0,{_SCHEME_MAX}}}")
_WORD_CHAR = re.compile(r"\w")
_SPACE = re.compile(r"\s")
_EMAIL_LOCAL_CHARS = r"[\w.%+'\-]"
"""What a local part may hold here: letters, digits, ``_ . % + ' -`` (``o'brien+vip``)."""
_EMAIL_LOCAL_REVERSED = re.compile(rf"{_EMAIL_LOCAL_CHARS}{{0,{_LOCAL_MAX + 1}}}")
_EMAIL_DOMAIN = r"(?:[^\W_][\w\-]*+(?<!-)\.)+[^\W\d_]{2,}+"
_EMAIL_DOMAIN_AT = re.compile(_EMAIL_DOMAIN)
_EMAIL_GOES_ON = re.compile(r"[\w\-]|\.[^\W_]")
_EMAIL_EXACT = re.compile(rf"{_EMAIL_LOCAL_CHARS}++@{_EMAIL_DOMAIN}")
_DATE_OR_TIME_IN_TEXT = re.compile(
    r"(?<![0-9./\-])"
    r"(?:[0-9]{4}[\-/][0-9]{1,2}[\-/][0-9]{1,2}"
    r"|[0-9]{1,2}[./\-][0-9]{1,2}[./\-][0-9]{4}"
    r"|[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{2}"
    r"|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)"
    r"(?![0-9]|[./\-:][0-9])"
)
_PHONE_GROUP = r"(?:\([0-9]++\)|[0-9]++)"
_PHONE_IN_TEXT = re.compile(
    r"(?<![\w+#/=:.,@$€£¥\-])"
    rf"(?:\+[ \u00a0]?)?{_PHONE_GROUP}"
    rf"(?:(?:[ \u00a0]?[.\-][ \u00a0]?|[ \u00a0])?{_PHONE_GROUP})*+"
)
# Checked after a phone candidate rather than inside its pattern: a failed look-ahead at the
# end of a long run of digit groups would make the regex retry from every group in the run.
_PHONE_GOES_ON = re.compile(r"[\w@]|[.\-/][0-9]")
_THOUSANDS = re.compile(r"[0-9]{1,3}([., \u00a0])[0-9]{3}(?:\1[0-9]{3})+")
_NOT_A_PHONE_BEFORE = re.compile(
    r"\b(?:order|invoice|receipt|ticket|case|ref|reference|tracking|confirmation|transaction"
    r"|txn|po|sku|card)s?\s*(?:no\.?|num(?:ber)?\.?|id|#)?\s*[:#.]?\s*$",
    re.IGNORECASE,
)


def _blank(match: re.Match[str]) -> str:
    """Spaces as wide as the match, so later positions still line up."""
    return " " * len(match.group(0))


def _blank_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each (start, end) span (in order, not overlapping) replaced by spaces."""
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], " " * (end - start)]
        last = end
    return "".join(parts) + text[last:]


def _word_end(text: str, start: int) -> int:
    """Where the run of non-space characters from ``start`` ends."""
    space = _SPACE.search(text, start)
    return len(text) if space is None else space.start()


def _starts_word(text: str, at: int) -> bool:
    return at == 0 or not _WORD_CHAR.match(text, at - 1)


def _scheme_start(text: str, colon: int) -> int | None:
    """Where the scheme before ``://`` at ``colon`` begins (a letter at a word start), if any.

    Only the ``_SCHEME_MAX`` characters before the colon are read.
    """
    window = text[max(0, colon - _SCHEME_MAX) : colon]
    run = _SCHEME_CHARS_REVERSED.match(window[::-1])
    length = run.end() if run else 0
    for at in range(colon - length, colon):
        if text[at].isascii() and text[at].isalpha() and _starts_word(text, at):
            return at
    return None


def url_spans(text: str) -> list[tuple[int, int]]:
    """Links in plain text (``scheme://…``, ``www.…``) as (start, end) spans, in order.

    Each anchor is found with ``str.find`` and a link runs to the next space, where the
    search resumes: every character is looked at a bounded number of times.
    """
    spans: list[tuple[int, int]] = []
    at = 0
    while (colon := text.find("://", at)) != -1:
        start = _scheme_start(text, colon)
        end = _word_end(text, colon + 3)
        if start is None or end == colon + 3:
            at = colon + 3
            continue
        spans.append((start, end))
        at = end
    masked = _blank_spans(text, spans)
    more: list[tuple[int, int]] = []
    at = 0
    while (www := masked.find("www.", at)) != -1:
        end = _word_end(masked, www + 4)
        if end > www + 4 and _starts_word(masked, www):
            more.append((www, end))
            at = end
        else:
            at = www + 4
    return sorted(spans + more)


def email_spans(text: str) -> list[tuple[int, int]]:
    """Emails in plain text as (start, end) spans, in order; the text is read around each ``@``.

    For each ``@`` the local part is read backwards over at most ``_LOCAL_MAX + 1``
    characters and the domain forwards over at most ``_DOMAIN_MAX`` (a longer local part or
    domain is not an email), so each ``@`` costs a bounded amount of work.
    """
    spans: list[tuple[int, int]] = []
    at = 0
    while (sign := text.find("@", at)) != -1:
        at = sign + 1
        if spans and sign < spans[-1][1]:
            continue
        before = text[max(0, sign - _LOCAL_MAX - 1) : sign][::-1]
        local = _EMAIL_LOCAL_REVERSED.match(before)
        size = local.end() if local else 0
        if not size or size > _LOCAL_MAX or (spans and sign - size < spans[-1][1]):
            continue
        domain = _EMAIL_DOMAIN_AT.match(text[sign + 1 : sign + 1 + _DOMAIN_MAX + 1])
        if domain is None or domain.end() > _DOMAIN_MAX:
            continue
        end = sign + 1 + domain.end()
        if _EMAIL_GOES_ON.match(text, end):
            continue
        start = sign - size
        while text[start] in ".'":  # a local part starts with neither; a quote is prose
            start += 1
        if start < sign:
            spans.append((start, end))
    return spans


def _separator_style(between: str) -> str:
    return "-" if "-" in between else "." if "." in between else " "


def _phone_segments(candidate: str) -> list[tuple[int, str]]:
    """A run of digit groups split where one number ends and another begins.

    A new number starts at a bracketed group (after more than a country code), where the
    separator changes once a number is complete (10+ digits), before a group joined in
    another style ("12345 555-010-0040"), and where one more group would make a complete
    number longer than any phone number. "555-010-0040 2 times" → ``555-010-0040`` and
    ``2``; "+44 20 7946 0958 555.010.0042" → both numbers.
    """
    groups = list(re.finditer(r"\(?[0-9]+\)?", candidate))
    styles = [_separator_style(candidate[a.end() : b.start()]) for a, b in pairwise(groups)]
    segments: list[tuple[int, str]] = []
    start, digits, style = 0, 0, ""
    for k, group in enumerate(groups):
        size = len(digits_of(group.group()))
        if k:
            now = styles[k - 1]
            after = styles[k] if k < len(styles) else now
            plus = candidate[start] == "+"
            if group.group().startswith("("):
                new = digits > 3
            elif digits >= 10 and ((style and now != style) or digits + size > MAX_PHONE_DIGITS):
                new = True
            else:
                new = now == " " and after != " " and digits >= (10 if plus else 4)
            if new:
                segments.append((start, candidate[start : groups[k - 1].end()]))
                start, digits, now = group.start(), 0, ""
            style = now
        digits += size
    if groups:
        segments.append((start, candidate[start : groups[-1].end()]))
    return segments


def _phone_in_text(segment: str) -> str | None:
    """One number found in prose, normalised; None when it is more likely something else.

    Bare digit runs are ignored (order numbers, amounts, ids); so are numbers grouped in
    thousands and numbers that are too short or too long.
    """
    digits = digits_of(segment)
    if segment.startswith("+"):
        return "+" + digits if 8 <= len(digits) <= MAX_PHONE_DIGITS else None
    if _THOUSANDS.fullmatch(segment) or DIGITS.fullmatch(segment):
        return None  # an amount (1.234.567.890) or a bare run (an order number, an id)
    spaced = segment.split()
    if DIGITS.fullmatch("".join(spaced)) and (
        len(spaced) == 2 or any(len(group) > 4 for group in spaced[1:-1])
    ):
        return None  # numbers side by side ("12345 67890"), not one number in groups
    return digits if 10 <= len(digits) <= MAX_PHONE_DIGITS else None


def _email_in_markup(address: str) -> str | None:
    email = address.strip().rstrip(".,;")
    if len(email) > MAX_MEMBER_LENGTH:
        return None
    return email if _EMAIL_EXACT.fullmatch(email) else None


def _phone_in_markup(number: str) -> str | None:
    value = number.strip()
    if not PHONE_TEXT.fullmatch(value):
        return None
    digits = digits_of(value)
    if not 7 <= len(digits) <= MAX_PHONE_DIGITS:
        return None
    return ("+" if value.startswith("+") else "") + digits


def find_member_identifiers(text: str) -> list[tuple[str, IdType]]:
    """Emails and phone numbers in a message's text, in order, deduplicated, at most 10.

    Reads Slack's ``<mailto:…|…>`` and ``<tel:…|…>`` markup and plain text; ignores links
    (and digits in them), mentions, dates and times, bare digit runs (order numbers,
    amounts, ids) and numbers introduced as an order, invoice, ticket … number. Emails are
    deduplicated case-insensitively, phones by their digits; phones come normalised.
    """
    text = text[:_MAX_SCANNED].translate(ZERO_WIDTH)
    found: list[tuple[int, str, IdType]] = []

    def markup(match: re.Match[str]) -> str:
        kind, shown = markup_parts(match.group(1))
        if kind == "mailto" and (email := _email_in_markup(shown)):
            found.append((match.start(), email, IdType.EMAIL))
        elif kind == "tel" and (phone := _phone_in_markup(shown)):
            found.append((match.start(), phone, IdType.MOBILE_PHONE_NUMBER))
        return _blank(match)

    masked = SLACK_MARKUP.sub(markup, text)
    masked = _blank_spans(masked, url_spans(masked))
    emails = email_spans(masked)
    found.extend((start, masked[start:end], IdType.EMAIL) for start, end in emails)
    masked = _blank_spans(masked, emails)
    masked = _DATE_OR_TIME_IN_TEXT.sub(_blank, masked)
    for match in _PHONE_IN_TEXT.finditer(masked):
        if _PHONE_GOES_ON.match(masked, match.end()):
            continue
        for offset, segment in _phone_segments(match.group(0)):
            at = match.start() + offset
            phone = _phone_in_text(segment)
            if phone and not _NOT_A_PHONE_BEFORE.search(masked[max(0, at - 40) : at]):
                found.append((at, phone, IdType.MOBILE_PHONE_NUMBER))
    result: list[tuple[str, IdType]] = []
    seen: set[str] = set()
    for _, value, kind in sorted(found, key=lambda f: f[0]):
        key = value.casefold() if kind is IdType.EMAIL else "+" + digits_of(value)
        if key not in seen:
            seen.add(key)
            result.append((value, kind))
    return result[:MAX_IDENTIFIERS]
