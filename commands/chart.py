"""/chart: a price chart (PNG) for one symbol, or up to five compared as % change."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any, Literal, get_args

from bot.charts.service import Chart, ChartDataError, ChartRange, ChartRequest
from bot.charts.summary import range_change
from bot.charts.timeline import as_of, zone
from bot.completion import complete_symbols
from bot.context import Context
from bot.errors import NotFound, UsageError
from bot.market.symbols import check_symbol_text, normalize_ticker
from bot.market.types import History
from bot.market.yahoo import NoBarsError
from bot.registry import Param, command
from bot.response import (
    ActionRow,
    Attachment,
    Button,
    ButtonStyle,
    Card,
    Field,
    Response,
    Tone,
    action_rows,
)
from bot.text import safe_echo

MAX_COMPARE = 4
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
# Words shaped like a time span (1w, 10y, 3 months): a range the chart does not offer.
_RANGE_LIKE = re.compile(r"^\d+\s*(?:d|days?|w|wk|weeks?|m|mo|mos|months?|y|yr|yrs|years?)$")
_BAR_NAMES = {"5m": "5-min", "15m": "15-min", "1d": "daily", "1wk": "weekly", "1mo": "monthly"}

Symbol = Annotated[
    str,
    Param(
        "ticker or company name, e.g. SPCX, 7203.T, amazon",
        max_length=40,
        complete=complete_symbols,
        parse=check_symbol_text,
        metavar="symbol",
    ),
]
Range = Annotated[
    ChartRange,
    Param("time span: 1d and 5d are intraday with pre-/after-market, the rest daily or longer"),
]
Kind = Annotated[Literal["line", "candle"], Param("line (default) or candle")]
_KINDS: tuple[str, ...] = get_args(get_args(Kind)[0])
Compare = Annotated[
    Sequence[str],
    Param(
        "up to 4 more symbols; then every symbol is drawn as % change from the start",
        max_items=MAX_COMPARE,
        max_length=40,
        complete=complete_symbols,
        parse=check_symbol_text,
        metavar="symbol",
    ),
]
Theme = Annotated[Literal["dark", "light"], Param("image colours for a dark or light chat")]


@command(
    "chart",
    examples=(
        "chart SPCX",
        "chart AAPL 1y candle",
        "chart AMZN 1y line 7203.T GOOGL",
        "chart spacex 5d theme=light",
    ),
    deadline=8.0,
)
async def chart(
    ctx: Context,
    symbol: Symbol,
    range: Range = "1d",
    type: Kind = "line",
    compare: Compare = (),
    *,
    theme: Theme = "dark",
) -> Response:
    """A price chart as a PNG: one symbol with volume, or up to five compared in %.

    Ranges: 1d and 5d (intraday bars, pre-market and after-hours shaded), 1mo, 3mo, 6mo, ytd,
    1y, 2y (daily), 5y (weekly) and max (monthly). Closed days and nights take no space.
    Times are in the exchange's zone; prices in the symbol's currency.
    """
    service = ctx.services.charts
    _check_compare_words(compare, range, type)
    typed = [symbol, *compare]
    resolutions = await ctx.symbols.resolve(typed, ctx.market)
    unmatched = [r.text for r in resolutions if r.symbol is None]
    if unmatched:
        await _not_found(ctx, unmatched[0], compare)
    symbols = tuple(dict.fromkeys(r.symbol for r in resolutions if r.symbol))
    text_for = {r.symbol: r.text for r in resolutions if r.symbol}
    # Existence first, through the (cached, batched) quote route: Yahoo answers unknown
    # symbols there with an empty result, while a chart request answers 404, and yfinance
    # reacts to any 4xx by switching its cookie strategy for every later request.
    known = await ctx.market.quotes(symbols)
    if known.missing:
        await _not_found(ctx, text_for.get(known.missing[0], known.missing[0]), compare)
    request = ChartRequest(symbols=symbols, range=range, kind=type, theme=theme)
    try:
        built = await service.chart(request)
    except ChartDataError as exc:
        shown = text_for.get(exc.symbol, exc.symbol)
        if isinstance(exc.error, NoBarsError):
            raise NotFound(
                f"Yahoo has no {range} data for {safe_echo(exc.symbol, 20)}: nothing traded in "
                "that range (a new listing, or a market not open yet). Try another range."
            ) from None
        if exc.error.reason == "not_found":
            await _not_found(ctx, shown, compare)
        raise exc.error from None
    ctx.symbols.remember(symbols)
    answer = _single_response(built) if len(symbols) == 1 else _compare_response(built)
    return replace(answer, actions=_chart_actions(ctx, range, type))


BUTTON_RANGES: tuple[ChartRange, ...] = ("1d", "5d", "1mo", "1y", "5y")


def _chart_actions(ctx: Context, shown_range: str, shown_type: str) -> tuple[ActionRow, ...]:
    """Range buttons (1d 5d 1mo 1y 5y) and line/candle, each the same chart with one change."""

    def button(label: str, current: bool, **change: str) -> Button | None:
        try:
            line = ctx.again(**change)
        except ValueError:
            return None
        style = ButtonStyle.PRIMARY if current else ButtonStyle.SECONDARY
        return Button(label, line, style, current=current)

    ranges = [button(r, r == shown_range, range=r) for r in BUTTON_RANGES]
    kinds = [button(k, k == shown_type, type=k) for k in _KINDS]
    return action_rows(
        ActionRow(tuple(b for b in ranges if b is not None)),
        ActionRow(tuple(b for b in kinds if b is not None)),
    )


def _check_compare_words(compare: Sequence[str], range: str, type: str) -> None:
    """A range or type typed where a symbol to compare goes: say so, not "No such symbol"."""
    ranges = get_args(ChartRange)
    for word in compare:
        lowered = word.lower()
        if lowered in ranges:
            raise UsageError(f"range was given more than once ({range} and {lowered}).")
        if lowered in _KINDS:
            raise UsageError(f"type was given more than once ({type} and {lowered}).")
        if _RANGE_LIKE.match(lowered):
            close = difflib.get_close_matches(lowered, ranges, n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]}?" if close else "."
            raise UsageError(
                f"range: '{safe_echo(word, 10)}' is not one of {', '.join(ranges)}{hint}"
            )
        if normalize_ticker(word) is None:  # a name, not a ticker: "candel" means candle
            _check_kind_typo(word)


def _check_kind_typo(word: str) -> None:
    """A UsageError for a word that is a misspelt chart type (candel, candles, lnie)."""
    lowered = word.lower()
    close = ["candle"] if lowered.startswith("candle") else []
    close = close or difflib.get_close_matches(lowered, _KINDS, n=1, cutoff=0.75)
    if close:
        raise UsageError(
            f"type: '{safe_echo(word, 12)}' is not one of {', '.join(_KINDS)}; "
            f"did you mean {close[0]}?"
        )


async def _not_found(ctx: Context, text: str, compare: Sequence[str] = ()) -> None:
    if text in compare:  # a ticker-shaped typo ("lnie") once Yahoo has no such symbol
        _check_kind_typo(text)
    raise NotFound(
        f"No such symbol: {safe_echo(text, 20)}.",
        suggestions=await ctx.symbols.suggestions(text, ctx.market),
    )


def attachment_name(symbol: str, range_: str) -> str:
    """chart-<SYMBOL>-<range>.png, made only of safe characters (^GSPC -> chart-GSPC-1y.png)."""
    cleaned = _FILENAME_UNSAFE.sub("_", symbol).strip("._") or "symbol"
    return f"chart-{cleaned[:24]}-{_FILENAME_UNSAFE.sub('_', range_)}.png"


def _as_of_text(history: History) -> str:
    return as_of(history).astimezone(zone(history.exchange_tz)).strftime("%b %d, %Y %H:%M %Z")


def _price(value: float, currency: str = "") -> str:
    text = f"{value:,.4f}" if abs(value) < 2 else f"{value:,.2f}"
    return f"{text} {currency}".strip()


def _single_response(built: Chart) -> Response:
    history = built.histories[0]
    request = built.request
    change = range_change(history)
    filename = attachment_name(history.symbol, request.range)
    bar_name = _BAR_NAMES.get(history.interval, history.interval)
    lows = min(b.low for b in history.bars)
    highs = max(b.high for b in history.bars)
    fields = [
        Field("Last", _price(change.last_close, history.currency)),
        Field(
            "Change",
            f"{change.change:+,.2f} ({change.change_pct:+.2f}%) vs {change.base_kind}",
        ),
        Field("Range", f"{_price(lows)} – {_price(highs)}"),
        Field("Bars", f"{len(history.bars)} × {bar_name}"),
    ]
    if change.extended_last is not None:
        fields.insert(2, Field("After hours", _price(change.extended_last, history.currency)))
    title = f"{history.name} ({history.symbol}) · {request.range} · {change.change_pct:+.2f}%"
    card = Card(
        title=title,
        fields=tuple(fields),
        tone=Tone.of_change(change.change_pct),
        footer=f"{history.source} · as of {_as_of_text(history)}",
        image=filename,
    )
    text = (
        f"{history.symbol} {request.range}: {_price(change.last_close, history.currency)}, "
        f"{change.change_pct:+.2f}% vs {change.base_kind}. Chart: {filename}"
    )
    data: dict[str, Any] = {
        "symbol": history.symbol,
        "symbols": [history.symbol],
        "range": request.range,
        "type": request.kind,
        "theme": request.theme,
        "interval": history.interval,
        "currency": history.currency,
        "first_close": change.first_close,
        "last_close": change.last_close,
        "base": change.base,
        "base_kind": change.base_kind,
        "change_pct": round(change.change_pct, 4),
        "bars": len(history.bars),
        "as_of": as_of(history).isoformat(),
        "png_bytes": len(built.png),
        "filename": filename,
    }
    return _response(text, card, built, filename, data)


def _compare_response(built: Chart) -> Response:
    request = built.request
    primary = built.histories[0]
    filename = attachment_name(primary.symbol, request.range)
    series: list[dict[str, Any]] = []
    fields = []
    for history in built.histories:
        first, last = history.bars[0].close, history.bars[-1].close
        pct = (last / first - 1.0) * 100.0 if first else 0.0
        series.append(
            {
                "symbol": history.symbol,
                "name": history.name,
                "currency": history.currency,
                "first_close": first,
                "last_close": last,
                "change_pct": round(pct, 4),
                "bars": len(history.bars),
            }
        )
        fields.append(Field(history.symbol, f"{pct:+.2f}% · {_price(last, history.currency)}"))
    symbols = [h.symbol for h in built.histories]
    title = f"{symbols[0]} vs {', '.join(symbols[1:])} · {request.range} · % change"
    latest = max(built.histories, key=as_of)
    card = Card(
        title=title,
        description="Each line is the % change from that symbol's first close in the range.",
        fields=tuple(fields),
        tone=Tone.of_change(series[0]["change_pct"]),
        footer=f"{primary.source} · as of {_as_of_text(latest)}",
        image=filename,
    )
    text = (
        f"{' vs '.join(symbols)} {request.range}, % change: "
        + ", ".join(f"{s['symbol']} {s['change_pct']:+.2f}%" for s in series)
        + f". Chart: {filename}"
    )
    data: dict[str, Any] = {
        "symbol": primary.symbol,
        "symbols": symbols,
        "range": request.range,
        "type": request.kind,
        "theme": request.theme,
        "interval": primary.interval,
        "series": series,
        "first_close": series[0]["first_close"],
        "last_close": series[0]["last_close"],
        "change_pct": series[0]["change_pct"],
        "bars": sum(s["bars"] for s in series),
        "as_of": as_of(latest).isoformat(),
        "png_bytes": len(built.png),
        "filename": filename,
    }
    return _response(text, card, built, filename, data)


def _response(text: str, card: Card, built: Chart, filename: str, data: dict[str, Any]) -> Response:
    attachment = Attachment(
        filename=filename,
        content=built.png,
        content_type="image/png",
        description=card.title,
    )
    return Response(text=text, cards=(card,), attachments=(attachment,), data=data)
