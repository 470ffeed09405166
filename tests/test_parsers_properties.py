"""Properties of the parsers of client-given positions and ids (Hypothesis): what the API
writes reads back the same, and any text reads as a value a query can take or as a clean 400
naming the parameter, never another exception."""

from __future__ import annotations

import base64

from hypothesis import example, given
from hypothesis import strategies as st

from mediagate.billing import service as billing
from mediagate.core import cursor as cursors
from mediagate.core.errors import InvalidParameter
from mediagate.core.ids import new_id, plausible_id
from mediagate.events import ids as event_ids
from mediagate.tasks import cursor as task_cursor
from mediagate.webhooks import cursor as delivery_cursor
from mediagate.webhooks.serialize import delivery_id, delivery_seq

INT64 = st.integers(min_value=0, max_value=cursors.MAX_INT64)
TASK_IDS = st.from_regex(r"task_[A-Za-z0-9_-]{1,59}", fullmatch=True)
#: Any text, and text shaped like our cursors around any number (the forgeries that matter).
FORGED_NUMBERS = st.one_of(st.integers(), st.text(max_size=30)).map(str)
CURSOR_TEXT = st.one_of(
    st.text(max_size=250),
    st.builds(lambda n, t: f"{n}.{t}", FORGED_NUMBERS, st.text(max_size=70)),
    st.builds(lambda k, n: f"{k}.{n}", st.sampled_from(["d", "l", "x", ""]), FORGED_NUMBERS),
)


def _pack(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _in_range(value: int) -> bool:
    return 0 <= value <= cursors.MAX_INT64


@given(INT64, TASK_IDS)
def test_task_cursors_round_trip(created_at: int, task_id: str) -> None:
    assert task_cursor.decode(task_cursor.encode(created_at, task_id)) == (created_at, task_id)


@given(st.one_of(st.text(max_size=300), CURSOR_TEXT.map(_pack)))
@example(_pack(f"{2**63}.task_a"))
@example(_pack(f"{'9' * 30}.task_a"))
def test_any_text_is_a_task_position_or_a_400_naming_cursor(text: str) -> None:
    try:
        created_at, task_id = task_cursor.decode(text)
    except InvalidParameter as exc:
        assert exc.param == "cursor"
    else:
        assert _in_range(created_at) and plausible_id(task_id)


@given(INT64)
def test_delivery_and_ledger_cursors_round_trip(seq: int) -> None:
    assert delivery_cursor.decode(delivery_cursor.encode(seq)) == seq
    assert billing._decode_cursor(billing._encode_cursor(seq)) == seq


@given(st.one_of(st.text(max_size=60), CURSOR_TEXT.map(_pack)))
@example(_pack("d.9999999999999999999"))
@example(_pack("l.9999999999999999999"))
def test_any_text_is_a_delivery_or_ledger_position_or_a_400(text: str) -> None:
    for decode in (delivery_cursor.decode, billing._decode_cursor):
        try:
            seq = decode(text)
        except InvalidParameter as exc:
            assert exc.param == "cursor"
        else:
            assert _in_range(seq)


@given(INT64, INT64)
def test_event_ids_round_trip_and_sort_in_log_order(tx_order: int, seq: int) -> None:
    text = event_ids.encode((tx_order, seq))
    assert event_ids.decode(text, "after") == (tx_order, seq)
    assert (text < event_ids.encode((tx_order, seq + 1))) or seq == cursors.MAX_INT64


@given(st.one_of(st.text(max_size=60), st.from_regex(r"evt_[0-9a-fA-F]{30,34}", fullmatch=True)))
@example("evt_" + "f" * 32)
def test_any_text_is_an_event_position_or_a_400_naming_it(text: str) -> None:
    try:
        tx_order, seq = event_ids.decode(text, "Last-Event-ID")
    except InvalidParameter as exc:
        assert exc.param == "Last-Event-ID"
    else:
        assert _in_range(tx_order) and _in_range(seq)


@given(st.sampled_from(["task", "wh", "key", "acct"]), st.integers(min_value=1, max_value=40))
def test_issued_ids_are_plausible(prefix: str, nbytes: int) -> None:
    assert plausible_id(new_id(prefix, nbytes))


@given(st.text(max_size=200))
@example("task_\x00")
@example("t\u00e2che_\u00e9")
def test_a_plausible_id_is_short_url_safe_ascii(text: str) -> None:
    if plausible_id(text):
        assert 1 <= len(text) <= 80 and text.isascii() and text.isprintable()
        assert all(c.isalnum() or c in "_-" for c in text)


@given(INT64)
def test_delivery_ids_round_trip(seq: int) -> None:
    assert delivery_seq(delivery_id(seq)) == seq


@given(st.one_of(st.text(max_size=40), st.from_regex(r"dlv_[0-9a-f]{14,18}", fullmatch=True)))
@example("dlv_ffffffffffffffff")
def test_any_text_is_a_delivery_row_or_none(text: str) -> None:
    seq = delivery_seq(text)
    assert seq is None or _in_range(seq)


@given(st.text(max_size=30))
@example(str(2**63))
@example("\u0663")
def test_cursor_numbers_are_plain_decimals_within_bigint(text: str) -> None:
    try:
        value = cursors.number(text)
    except ValueError:
        return
    assert _in_range(value)
    assert text.isascii() and text.isdigit() and int(text) == value
