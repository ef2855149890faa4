"""error_from_response and friends: every envelope, every status class, and garbage."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.crowdtwist.errors import (
    CrowdTwistError,
    ErrorKind,
    bad_response,
    error_from_response,
    parse_error_envelope,
    unavailable,
)


def envelope_1(code: int, reason: str, message: str = "User does not exist") -> bytes:
    """The purchase history page's sample: a nested error with an errors list."""
    return json.dumps(
        {
            "error": {
                "code": code,
                "message": "Not found",
                "errors": [{"reason": reason, "message": message}],
            }
        }
    ).encode()


def envelope_2(error: str, message: str = "User could not be found") -> bytes:
    """The loyalty API's flat form."""
    return json.dumps({"error": error, "message": message}).encode()


def envelope_3(reason: str, description: str = "User not found.") -> bytes:
    """The POS API's form, with the member id in brackets in its message."""
    return json.dumps(
        {
            "system": "pos",
            "reason": reason,
            "description": description,
            "message": "User with id [12345] can not be found.",
        }
    ).encode()


ENVELOPES: dict[str, Callable[[int, str], bytes]] = {
    "nested": envelope_1,
    "flat": lambda _status, reason: envelope_2(reason),
    "pos": lambda _status, reason: envelope_3(reason),
}


@pytest.mark.parametrize("make", ENVELOPES.values(), ids=ENVELOPES.keys())
@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        (404, "not_found", ErrorKind.NOT_FOUND),
        (404, "page_not_found", ErrorKind.NOT_FOUND),
        (400, "user_not_found", ErrorKind.NOT_FOUND),
        (400, "invalid_parameter", ErrorKind.INVALID_INPUT),
        (400, "invalid", ErrorKind.INVALID_INPUT),
        (400, "invalid_date", ErrorKind.INVALID_INPUT),
        (401, "unauthorized", ErrorKind.UNAUTHORIZED),
        (403, "forbidden", ErrorKind.UNAUTHORIZED),
        (403, "anything", ErrorKind.UNAUTHORIZED),
        (500, "internal_error", ErrorKind.UNAVAILABLE),
        (502, "internal_error", ErrorKind.UNAVAILABLE),
        (503, "not_configured", ErrorKind.NOT_CONFIGURED),
        (500, "NOT_CONFIGURED", ErrorKind.NOT_CONFIGURED),
        (429, "rate_limited", ErrorKind.UNAVAILABLE),
    ],
)
def test_every_envelope_and_status_maps_to_its_kind(
    make: Callable[[int, str], bytes], status: int, reason: str, kind: ErrorKind
) -> None:
    error = error_from_response(status, make(status, reason))
    assert error.kind is kind
    assert error.status == status
    assert error.reason == reason.lower()
    assert error.detail.startswith(f"HTTP {status} reason={reason.lower()}")
    assert str(error) == error.message


def test_envelope_1_without_errors_list_uses_the_status() -> None:
    body = json.dumps({"error": {"code": 404, "message": "Not found"}}).encode()
    error = error_from_response(404, body, what="member")
    assert error.kind is ErrorKind.NOT_FOUND
    assert error.reason is None
    assert str(error) == "CrowdTwist found no such member."
    assert "message='Not found'" in error.detail


def test_envelope_2_error_string_is_the_reason() -> None:
    error = error_from_response(404, envelope_2("internal_error"))
    assert error.kind is ErrorKind.NOT_FOUND  # the status says so, whatever the reason
    error = error_from_response(500, envelope_2("internal_error"))
    assert (error.kind, error.reason) == (ErrorKind.UNAVAILABLE, "internal_error")


def test_invalid_input_shows_what_helps_not_the_upstream_text_verbatim() -> None:
    error = error_from_response(
        400, envelope_2("invalid_parameter", "ID type is invalid."), what="member"
    )
    assert error.kind is ErrorKind.INVALID_INPUT
    assert str(error) == "CrowdTwist could not use that member: ID type is invalid."
    echoed = error_from_response(
        400, envelope_2("invalid_parameter", "User jane@example.com (id 332170040) is invalid.")
    )
    assert str(echoed).endswith(": User [email] (id [number]) is invalid.")
    trace = "Traceback (most recent call last): " + "at com.crowdtwist.Pos.lookup() " * 20
    long = error_from_response(400, envelope_2("invalid_date", trace))
    assert str(long).endswith("request: CrowdTwist did not accept the dates.")
    assert "Traceback" in long.detail
    odd = error_from_response(400, envelope_2("too_many_items", trace), what="member")
    assert str(odd) == "CrowdTwist could not use that member (reason: too_many_items)."
    bare = error_from_response(400, b"", what="member")
    assert str(bare) == "CrowdTwist could not use that member."


def test_detail_masks_personal_data_and_secrets() -> None:
    error = error_from_response(400, envelope_3("user_not_found", ""))
    # envelope 3 falls back to "message", which names the member id in brackets
    assert "12345" not in error.detail
    leaky = envelope_2(
        "unauthorized", "bad header X-CT-Authorization: CTApiKey s3cr3t-k3y for a@b.co"
    )
    error = error_from_response(401, leaky)
    assert "s3cr3t-k3y" not in error.detail
    assert "a@b.co" not in error.detail
    assert "s3cr3t-k3y" not in str(error)


def test_detail_is_clipped_to_one_short_line() -> None:
    error = error_from_response(500, envelope_2("internal_error", "word\n" * 500))
    assert "\n" not in error.detail
    assert len(error.detail) < 400


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ErrorKind.INVALID_INPUT),
        (401, ErrorKind.UNAUTHORIZED),
        (403, ErrorKind.UNAUTHORIZED),
        (404, ErrorKind.NOT_FOUND),
        (418, ErrorKind.INVALID_INPUT),
        (429, ErrorKind.UNAVAILABLE),
        (500, ErrorKind.UNAVAILABLE),
        (502, ErrorKind.UNAVAILABLE),
        (503, ErrorKind.UNAVAILABLE),
        (504, ErrorKind.UNAVAILABLE),
        (200, ErrorKind.BAD_RESPONSE),
        (302, ErrorKind.BAD_RESPONSE),
    ],
)
@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n",
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b'{"purchases": [',
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
        b"{}",
        b"[" * 5000,
    ],
)
def test_status_decides_when_the_body_says_nothing(
    status: int, kind: ErrorKind, content: bytes
) -> None:
    error = error_from_response(status, content)
    assert error.kind is kind
    assert error.reason is None
    assert error.detail.startswith(f"HTTP {status}")


def test_a_body_that_is_not_json_is_named_in_the_detail() -> None:
    error = error_from_response(502, b"<html>Bad Gateway</html>")
    assert error.detail == "HTTP 502 (body is not JSON)"
    assert error_from_response(502, b"").detail == "HTTP 502"


def test_retry_after_is_carried() -> None:
    error = error_from_response(429, b"", retry_after=1.5)
    assert error.retry_after == 1.5
    assert error.kind.retryable


def test_retryable_kinds() -> None:
    assert {k for k in ErrorKind if k.retryable} == {
        ErrorKind.UNAVAILABLE,
        ErrorKind.BAD_RESPONSE,
        ErrorKind.BUSY,
    }


def test_helpers_and_repr() -> None:
    down = unavailable("ConnectError after 3 ms")
    assert down.kind is ErrorKind.UNAVAILABLE
    assert down.detail == "ConnectError after 3 ms"
    assert "ConnectError" not in str(down)
    bad = bad_response("HTTP 200: body is not JSON")
    assert bad.kind is ErrorKind.BAD_RESPONSE
    assert repr(bad) == "CrowdTwistError(kind='bad_response', status=None, reason=None)"
    assert isinstance(bad, Exception)
    plain = CrowdTwistError(ErrorKind.NOT_FOUND, "nope")
    assert plain.detail == "nope"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, (None, None)),
        ([], (None, None)),
        ({"purchases": []}, (None, None)),
        ({"error": {"errors": ["not a dict"], "message": "m"}}, (None, "m")),
        ({"error": {"errors": [{"reason": 7, "message": 8}], "message": "m"}}, (None, "m")),
        ({"error": {"message": 5}}, (None, None)),
        ({"error": "invalid", "message": None}, ("invalid", None)),
        ({"system": "pos"}, (None, None)),
        ({"reason": "invalid", "message": "only message"}, ("invalid", "only message")),
        ({"reason": ["x"], "description": {"y": 1}}, (None, None)),
    ],
)
def test_parse_error_envelope_edge_cases(
    body: object, expected: tuple[str | None, str | None]
) -> None:
    assert parse_error_envelope(body) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["error", "errors", "reason", "message", "description", "system", "code"]
            )
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(status=st.integers(100, 599), content=st.binary(max_size=300))
def test_any_bytes_map_to_an_error(status: int, content: bytes) -> None:
    error = error_from_response(status, content)
    assert isinstance(error, CrowdTwistError)
    assert isinstance(error.kind, ErrorKind)


@given(status=st.integers(100, 599), body=json_values)
def test_any_json_maps_to_an_error(status: int, body: object) -> None:
    error = error_from_response(status, json.dumps(body).encode())
    assert isinstance(error, CrowdTwistError)
    assert error.detail.startswith(f"HTTP {status}")
