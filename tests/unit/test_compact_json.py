"""``bot.compact_json``: orjson's output, and the standard library's where orjson refuses."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.compact_json import dumps, dumps_bytes

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def test_compact_and_in_insertion_order() -> None:
    assert dumps({"b": 1, "a": [True, None, "é"]}) == '{"b":1,"a":[true,null,"é"]}'
    assert dumps({"b": 1, "a": 2}, sort_keys=True) == '{"a":2,"b":1}'


@pytest.mark.parametrize(
    "value",
    [
        {"points": 10**30},  # beyond 64 bits: orjson refuses it
        {"member": "ab\ud800cd"},  # a lone surrogate: not encodable as UTF-8
        [-(2**70), {"x": "\udfff"}],
    ],
)
def test_what_orjson_refuses_is_still_written(value: object) -> None:
    written = dumps_bytes(value)
    assert written.isascii()
    assert json.loads(written) == value
    assert json.loads(dumps(value, sort_keys=True)) == value


@given(_values)
def test_anything_json_can_write_reads_back_the_same(value: object) -> None:
    assert json.loads(dumps(value)) == value
    assert json.loads(dumps_bytes(value, sort_keys=True)) == value


def test_what_neither_can_write_still_raises() -> None:
    with pytest.raises(TypeError):
        dumps({"a": object()})
