"""Property tests: random and mutated answers never escape as anything but GeoParseError,
and whatever parses also renders; user input is either accepted or refused, never crashes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from shoestring.geo import answers, compare_local, render, validate
from shoestring.geo.errors import GeoParseError, InvalidInput

from .standin import fixture

SEEDS = [fixture(n) for n in ("geoping-8.8.8.8.json", "geoping-139.59.19.245.json",
                              "geodns-google.com.json", "geodns-brainattic.in.json")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["from_loc", "city", "country", "answers", "value", "type", "is_alive",
                         "avg_rtt", "min_rtt", "max_rtt", "packets_sent", "packets_received",
                         "packet_loss", "error"]) | st.text(max_size=5), inner, max_size=8),
    max_leaves=30)


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip":
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:pos + draw(st.integers(1, 50))]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=10))
        if not data:
            break
    return bytes(data)


def _parse_and_render(body: bytes) -> None:
    for parse, show in ((answers.parse_geoping, render.geoping_text),
                        (answers.parse_geodns, render.geodns_text)):
        try:
            results = parse(body)
        except GeoParseError:
            continue
        text = show(results)
        assert isinstance(text, str)
        # one line per location (geoping) or per answer (geodns), no stray control bytes
        assert all(c.isprintable() for line in text.splitlines() for c in line)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(body):
    _parse_and_render(body)


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_mutated_fixtures(body):
    _parse_and_render(body)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_shapes(value):
    _parse_and_render(json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["A", "MX", "TXT", "PTR", "SOA"]))
def test_user_input_is_accepted_or_refused(text, rtype):
    for check in (validate.geoping_target, lambda t: validate.geodns_name(t, rtype),
                  validate.record_type, validate.api_url, compare_local.parse_nameserver):
        try:
            value = check(text)
        except InvalidInput:
            continue
        assert isinstance(value, (str, tuple))
    assert isinstance(compare_local.normalise(rtype, text), str)
