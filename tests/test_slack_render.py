"""Response -> Slack message: cards as Block Kit, a text fallback always, limits and escaping."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack_render import MAX_BLOCKS, MAX_FIELDS, MAX_TEXT, escape, render
from bot.response import Card, Field, Response, Tone

MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<@", "<#", "<!subteam")


def test_card_becomes_header_fields_and_context_footer() -> None:
    card = Card(
        title="SPCX · Space Exploration Technologies Corp.",
        fields=(Field("Price", "153.20 USD"), Field("Change", "+0.20 (+0.13%)")),
        tone=Tone.UP,
        footer="Yahoo Finance · NasdaqGS · USD · as of Jun 12 16:00 EDT",
        url="https://finance.yahoo.com/quote/SPCX",
    )
    message = render(Response(text="SPCX 153.20 USD", cards=(card,)))
    assert message["text"] == "SPCX 153.20 USD"
    header, section, context = message["blocks"]
    assert header == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "▲ SPCX · Space Exploration Technologies Corp.",
            "emoji": True,
        },
    }
    assert section["fields"] == [
        {"type": "mrkdwn", "text": "*Price*\n153.20 USD"},
        {"type": "mrkdwn", "text": "*Change*\n+0.20 (+0.13%)"},
    ]
    assert [e["text"] for e in context["elements"]] == [
        "Yahoo Finance · NasdaqGS · USD · as of Jun 12 16:00 EDT",
        "<https://finance.yahoo.com/quote/SPCX|details>",
    ]


def test_tone_marks_the_header() -> None:
    titles = [
        render(Response(text="x", cards=(Card(title="T", tone=tone),)))["blocks"][0]["text"]["text"]
        for tone in (Tone.UP, Tone.DOWN, Tone.WARNING, Tone.NEUTRAL)
    ]
    assert titles == ["▲ T", "▼ T", "⚠ T", "T"]


def test_plain_text_answer_is_one_section() -> None:
    message = render(Response(text="No such symbol: ZZZZQ.", kind="not_found", ephemeral=True))
    assert message["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "No such symbol: ZZZZQ."}}
    ]


def test_more_than_ten_fields_split_into_sections_of_ten() -> None:
    fields = tuple(Field(f"F{i}", str(i)) for i in range(23))
    blocks = render(Response(text="many", cards=(Card(title="Many", fields=fields),)))["blocks"]
    sections = [b for b in blocks if b["type"] == "section"]
    assert [len(s["fields"]) for s in sections] == [10, 10, 3]
    assert all(len(s["fields"]) <= MAX_FIELDS for s in sections)


def test_long_text_is_cut_into_sections_of_at_most_3000_characters() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))  # ~10,000 characters
    message = render(Response(text=text))
    sections = [b["text"]["text"] for b in message["blocks"]]
    assert len(sections) >= 4
    assert all(len(s) <= MAX_TEXT for s in sections)
    assert "\n".join(sections) == text
    assert len(message["text"]) <= MAX_TEXT and message["text"].endswith("…")


def test_more_cards_than_fit_stop_at_fifty_blocks_with_a_note() -> None:
    cards = tuple(Card(title=f"C{i}", fields=(Field("a", "1"),), footer="src") for i in range(30))
    blocks = render(Response(text="thirty cards", cards=cards))["blocks"]
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-1]["type"] == "context"
    assert "more card(s) not shown" in blocks[-1]["elements"][0]["text"]


def test_markup_in_data_is_escaped_everywhere() -> None:
    card = Card(
        title="<!channel> & co",
        description="<@U123> said <https://evil.example|click>",
        fields=(Field("<!here>", "a > b & c < d"),),
        footer="@everyone as of now",
    )
    message = render(Response(text="<!channel> @here", cards=(card,)))
    assert message["blocks"][0]["text"]["text"] == "&lt;!channel&gt; &amp; co"
    assert message["blocks"][1]["text"]["text"] == (
        "&lt;@U123&gt; said &lt;https://evil.example|click&gt;"
    )
    assert message["blocks"][2]["fields"][0]["text"] == "*&lt;!here&gt;*\na &gt; b &amp; c &lt; d"
    assert message["blocks"][3]["elements"][0]["text"] == "@\u200beveryone as of now"
    assert message["text"] == "&lt;!channel&gt; @\u200bhere"


def test_unsafe_card_urls_are_left_out() -> None:
    card = Card(title="x", url="https://a.example/|<!channel>")
    blocks = render(Response(text="x", cards=(card,)))["blocks"]
    assert all(b["type"] != "context" for b in blocks)


def test_clipping_never_cuts_an_entity_in_half() -> None:
    message = render(Response(text="&" * 2000))
    assert len(message["text"]) <= MAX_TEXT
    assert message["text"].removesuffix("…").endswith("&amp;")


def test_chart_cards_say_whether_the_file_is_attached() -> None:
    card = Card(title="SPCX 5d", image="spcx.png")
    attached = render(Response(text="x", cards=(card,)), uploaded=["spcx.png"])
    private = render(Response(text="x", cards=(card,)))
    assert attached["blocks"][-1]["elements"][0]["text"] == "Chart: spcx.png (attached below)"
    assert private["blocks"][-1]["elements"][0]["text"] == "Chart: spcx.png (not attached)"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_escape_leaves_no_angle_brackets_or_bare_mentions(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    for word in ("@here", "@channel", "@everyone"):
        assert word not in escaped.lower()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=60), st.lists(st.text(max_size=300), max_size=14)),
        max_size=12,
    ),
    st.text(max_size=5000),
)
def test_any_response_fits_slack_limits_and_holds_no_mention(
    cards: list[tuple[str, list[str]]], text: str
) -> None:
    response = Response(
        text=text,
        cards=tuple(
            Card(title=t, fields=tuple(Field(v[:10], v) for v in values), footer=t)
            for t, values in cards
        ),
    )
    message = render(response)
    assert message["text"] and len(message["text"]) <= MAX_TEXT
    assert len(message["blocks"]) <= MAX_BLOCKS
    for block in message["blocks"]:
        if block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block.get("fields", [])) <= MAX_FIELDS
            assert len(block.get("text", {}).get("text", "")) <= MAX_TEXT
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
    raw = json.dumps(message, ensure_ascii=False)
    for mention in MENTIONS:
        assert mention not in raw
