"""One typed declaration drives parsing, validation and usage lines."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

import pytest

from bot.errors import UsageError
from bot.params import bind_options, bind_text, tokenize
from bot.registry import CommandSpec, Param, ParamKind, Registry, build_spec, command, group
from bot.response import Response


class Theme(Enum):
    DARK = "dark"
    LIGHT = "light"


async def sample(
    ctx: object,
    symbol: str,
    range: Literal["1d", "5d", "1y"] = "1d",
    compare: Annotated[list[str] | None, Param("more symbols", max_items=4)] = None,
    *,
    theme: Theme = Theme.DARK,
    days: Annotated[int, Param("how many days", min=1, max=30)] = 5,
    scale: Annotated[float, Param("a factor", min=0)] = 1.0,
    volume: bool = True,
) -> Response:
    """Draw something.

    More words here.
    """
    return Response(text="")


SPEC: CommandSpec = build_spec(sample, ("chart",))


def test_spec_reads_the_signature() -> None:
    assert SPEC.help == "Draw something."
    assert SPEC.description == "More words here."
    kinds = {p.name: (p.kind, p.required, p.positional, p.many) for p in SPEC.params}
    assert kinds == {
        "symbol": (ParamKind.STRING, True, True, False),
        "range": (ParamKind.CHOICE, False, True, False),
        "compare": (ParamKind.STRING, False, True, True),
        "theme": (ParamKind.CHOICE, False, False, False),
        "days": (ParamKind.INTEGER, False, False, False),
        "scale": (ParamKind.NUMBER, False, False, False),
        "volume": (ParamKind.BOOLEAN, False, False, False),
    }
    assert SPEC.param("theme").choices == ("dark", "light")  # type: ignore[union-attr]
    assert SPEC.usage == (
        "chart <symbol> [1d|5d|1y] [<compare...>] [theme=dark|light] [days=<days>] "
        "[scale=<scale>] [volume=yes|no]"
    )


def test_positional_then_list_then_named() -> None:
    kwargs = bind_text(SPEC, tokenize("AMZN 1y GOOG,MSFT AAPL theme=light days=10 volume=no"))
    assert kwargs == {
        "symbol": "AMZN",
        "range": "1y",
        "compare": ["GOOG", "MSFT", "AAPL"],
        "theme": Theme.LIGHT,
        "days": 10,
        "scale": 1.0,
        "volume": False,
    }


def test_named_only_when_the_name_is_a_parameter() -> None:
    kwargs = bind_text(SPEC, tokenize("EURUSD=X range:5d"))
    assert kwargs["symbol"] == "EURUSD=X"
    assert kwargs["range"] == "5d"


def test_an_optional_choice_left_out_lets_the_word_reach_a_later_parameter() -> None:
    # `chart SPCX AAPL`: range stays 1d and AAPL is compared (this used to be a range error;
    # the chart command itself names range-shaped words such as 2w as a bad range).
    kwargs = bind_text(SPEC, tokenize("AMZN GOOG 2w"))
    assert (kwargs["range"], kwargs["compare"]) == ("1d", ["GOOG", "2w"])
    assert bind_text(SPEC, tokenize("AMZN 5d GOOG"))["range"] == "5d"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Missing <symbol>."),
        ("AMZN days=0", "days: must be at least 1."),
        ("AMZN days=lots", "days: 'lots' is not a whole number."),
        ("AMZN scale=nan", "scale: must be a finite number."),
        ("AMZN volume=maybe", "volume: say yes or no."),
        ("AMZN 1d A B C D E", "compare: at most 4 at a time (you gave 5)."),
        ("AMZN days=1 days=2", "days was given more than once."),
        ('AMZN "unclosed', "A quote mark is not closed."),
    ],
)
def test_bad_input_names_the_parameter(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        bind_text(SPEC, tokenize(text))
    assert info.value.message == message


def test_absurd_input_is_refused_before_parsing() -> None:
    with pytest.raises(UsageError, match="at most 500"):
        tokenize("x" * 2000)
    with pytest.raises(UsageError, match="control characters"):
        tokenize("quote \x1b[31mSPCX")
    assert tokenize("quote “rocket lab”") == ["quote", "rocket lab"]


def test_structured_options_use_the_same_converters() -> None:
    kwargs = bind_options(
        SPEC, {"symbol": "AMZN", "compare": "GOOG MSFT", "days": 3, "volume": False}
    )
    assert kwargs["compare"] == ["GOOG", "MSFT"]
    assert kwargs["days"] == 3 and kwargs["volume"] is False
    with pytest.raises(UsageError, match="Unknown option"):
        bind_options(SPEC, {"symbol": "AMZN", "bogus": "1"})


def test_registry_rejects_mistakes() -> None:
    registry = Registry()
    registry.add(SPEC)
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(SPEC)
    with pytest.raises(ValueError, match="needs group"):
        registry.add(build_spec(sample, ("orbital", "x")))
    registry.add_group(group("orbital", "Orbital tools"))
    registry.add(build_spec(sample, ("orbital", "x")))
    assert [s.name for s in registry.subcommands("orbital")] == ["orbital x"]

    with pytest.raises(TypeError, match="docstring"):

        @command("nodoc")
        async def nodoc(ctx: object) -> Response:
            return Response(text="")

    with pytest.raises(TypeError, match="async"):

        @command("sync")
        def sync(ctx: object) -> Response:  # type: ignore[type-var]
            """Not async."""
            return Response(text="")
