"""Response -> Discord message JSON: colours, fields, footers, files, and every length limit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.discord_render import (
    BLANK,
    COLOURS,
    MAX_CONTENT,
    MAX_DESCRIPTION,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    MAX_MESSAGES,
    MAX_TITLE,
    DiscordMessage,
    embed_size,
    render,
    split_text,
)
from bot.response import Attachment, Card, Field, Response, Tone

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def quote_like() -> Response:
    card = Card(
        title="SPCX · Space Exploration Technologies Corp.",
        fields=(
            Field("Price", "153.20 USD"),
            Field("Change", "+0.20 (+0.13%)"),
            Field("Note", "a long explanation that does not fit on one inline column " * 2),
            Field("Steps", "one\ntwo"),
            Field("Block", "wide", inline=False),
        ),
        tone=Tone.UP,
        footer="Yahoo Finance · NasdaqGS · USD · as of Nov 24 16:00 EST",
        url="https://finance.yahoo.com/quote/SPCX",
    )
    return Response(text="SPCX 153.20 USD +0.13%", cards=(card,))


def assert_within_limits(messages: list[DiscordMessage]) -> None:
    assert 1 <= len(messages) <= MAX_MESSAGES
    for message in messages:
        assert len(message.content) <= MAX_CONTENT
        assert len(message.embeds) <= MAX_EMBEDS
        assert sum(embed_size(e) for e in message.embeds) <= MAX_EMBED_TOTAL
        assert message.content or message.embeds or message.files
        for embed in message.embeds:
            assert len(embed.get("title", "")) <= MAX_TITLE
            assert len(embed.get("description", "")) <= MAX_DESCRIPTION
            assert len(embed.get("fields", [])) <= MAX_FIELDS
            for item in embed.get("fields", []):
                assert 1 <= len(item["name"]) <= MAX_FIELD_NAME
                assert 1 <= len(item["value"]) <= MAX_FIELD_VALUE


def test_a_card_becomes_one_embed_coloured_by_tone_with_footer() -> None:
    [message] = render(quote_like())
    assert message.content == ""  # the embed is the answer; no duplicate text above it
    [embed] = message.embeds
    assert embed["title"] == "SPCX · Space Exploration Technologies Corp."
    assert embed["url"] == "https://finance.yahoo.com/quote/SPCX"
    assert embed["color"] == COLOURS[Tone.UP] == 0x2ECC71
    assert embed["footer"] == {"text": "Yahoo Finance · NasdaqGS · USD · as of Nov 24 16:00 EST"}
    inline = {f["name"]: f["inline"] for f in embed["fields"]}
    # Short one-line values sit inline; long, multi-line or block fields take a full row.
    assert inline == {"Price": True, "Change": True, "Note": False, "Steps": False, "Block": False}


def test_each_tone_has_its_own_colour() -> None:
    colours = {
        tone: render(Response(text="x", cards=(Card(title="t", tone=tone),)))[0].embeds[0]["color"]
        for tone in Tone
    }
    assert colours == {
        Tone.UP: 0x2ECC71,
        Tone.DOWN: 0xE74C3C,
        Tone.NEUTRAL: 0x5865F2,
        Tone.WARNING: 0xF1C40F,
    }


def test_plain_text_answers_are_content_split_at_line_breaks() -> None:
    lines = [f"line {i:04d} " + "x" * 40 for i in range(100)]  # ~5,000 characters
    messages = render(Response(text="\n".join(lines)))
    assert len(messages) == 3
    assert all(len(m.content) <= MAX_CONTENT and not m.embeds for m in messages)
    # Nothing lost, nothing cut mid-line.
    assert [line for m in messages for line in m.content.split("\n")] == lines


def test_a_code_block_cut_in_two_is_closed_and_reopened() -> None:
    text = "```\n" + "\n".join(f"row {i:04d}" for i in range(400)) + "\n```"
    chunks = split_text(text, MAX_CONTENT)
    assert len(chunks) >= 2
    assert all(c.count("```") % 2 == 0 for c in chunks)
    assert all(len(c) <= MAX_CONTENT for c in chunks)


def test_a_word_longer_than_a_message_is_cut_hard() -> None:
    chunks = split_text("y" * 4500, MAX_CONTENT)
    assert "".join(chunks) == "y" * 4500
    assert all(len(c) <= MAX_CONTENT for c in chunks)


def test_more_than_25_fields_continue_in_a_second_embed_with_the_footer_last() -> None:
    card = Card(
        title="Deals",
        fields=tuple(Field(f"Deal {i}", f"${i}B") for i in range(30)),
        footer="Source: deal book · as of 2026-01-01",
        tone=Tone.NEUTRAL,
    )
    [message] = render(Response(text="deals", cards=(card,)))
    first, second = message.embeds
    assert len(first["fields"]) == 25 and len(second["fields"]) == 5
    assert first["title"] == "Deals" and "title" not in second
    assert "footer" not in first and second["footer"]["text"].startswith("Source: deal book")
    assert second["color"] == first["color"]


def test_long_descriptions_and_many_cards_split_across_embeds_and_messages() -> None:
    card = Card(title="Claim", description="word " * 3000)  # 15,000 characters
    messages = render(Response(text="claims", cards=(card,)))
    assert_within_limits(messages)
    described = " ".join(e.get("description", "") for m in messages for e in m.embeds)
    assert described.split() == ["word"] * 3000
    many = render(Response(text="x", cards=tuple(Card(title=f"C{i}") for i in range(12))))
    assert [len(m.embeds) for m in many] == [10, 2]


def test_empty_and_oversized_field_parts_are_made_acceptable() -> None:
    card = Card(title="T" * 300, fields=(Field("", ""), Field("n" * 300, "v" * 2000)))
    [message] = render(Response(text="x", cards=(card,)))
    [embed] = message.embeds
    assert len(embed["title"]) == MAX_TITLE and embed["title"].endswith("…")
    assert embed["fields"][0] == {"name": BLANK, "value": BLANK, "inline": True}
    assert len(embed["fields"][1]["name"]) == MAX_FIELD_NAME
    assert len(embed["fields"][1]["value"]) == MAX_FIELD_VALUE


def test_attachments_become_files_and_a_card_can_show_its_chart() -> None:
    chart = Attachment("SPCX 1mo.png", PNG, description="SPCX, one month")
    card = Card(title="SPCX · 1 month", image="SPCX 1mo.png")
    [message] = render(Response(text="chart", cards=(card,), attachments=(chart,)))
    [file] = message.files
    assert file.filename == "SPCX_1mo.png"  # a name attachment:// can reference
    assert file.content == PNG and file.description == "SPCX, one month"
    assert message.embeds[0]["image"] == {"url": "attachment://SPCX_1mo.png"}


def test_a_file_over_the_upload_limit_is_left_out_with_a_note() -> None:
    big = Attachment("huge.png", PNG * 1000)
    [message] = render(Response(text="chart", attachments=(big,)), file_limit=10_000)
    assert message.files == ()
    assert message.content.startswith("chart\n(huge.png is")
    assert "upload limit" in message.content


def test_an_endless_answer_is_trimmed_to_five_messages_with_a_note() -> None:
    messages = render(Response(text="z " * 20_000))
    assert len(messages) == MAX_MESSAGES
    assert messages[-1].content.endswith("(answer trimmed: too long for Discord)")
    assert_within_limits(messages)


def test_an_empty_answer_still_sends_something() -> None:
    [message] = render(Response(text=""))
    assert message.content == BLANK


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=3000)
fields = st.builds(Field, texts, texts, st.booleans())
cards = st.builds(
    Card,
    title=texts,
    description=st.text(max_size=9000),
    fields=st.lists(fields, max_size=40).map(tuple),
    tone=st.sampled_from(list(Tone)),
    footer=texts,
)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=12_000), cards=st.lists(cards, max_size=14))
def test_any_response_renders_within_discord_limits(text: str, cards: list[Card]) -> None:
    assert_within_limits(render(Response(text=text, cards=tuple(cards))))
