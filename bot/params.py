"""From text ("quote SPCX AMZN", "orbital radiator power=40MW") to typed keyword arguments.

Rules, the same on every text platform:
- Words split on white space; "double" or 'single' quotes keep spaces together.
- `name=value` (or `name:value`) sets a parameter by name when `name` is one of the
  command's parameters. Any other `name=value` is an unknown option (a usage error naming the
  closest real one), except Yahoo's `=X`/`=F` symbols: `EURUSD=X` and `GC=F` stay words.
  `name:value` with an unknown name is an error only when the name is close to a real one
  (`thme:light`); otherwise it stays a word (free text may hold "re:" or a URL).
- Other words fill the positional parameters in order; a list parameter takes the rest, and
  also splits on commas ("SPCX,AMZN"). An optional choice left out at its place may come
  later among the words (`chart rocket lab 1y`: 1y is the range).
- A list set by name also takes the words after it that no choice takes:
  `compare=GOOG GOOGL` compares both.
"""

from __future__ import annotations

import difflib
import math
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from bot.errors import UsageError
from bot.registry import CommandSpec, ParamKind, ParamSpec
from bot.text import MAX_INPUT_CHARS, has_control_chars, safe_echo

_NAMED = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]{0,30})([=:])(.*)$", re.DOTALL)
# Yahoo symbols that hold "=": currencies (EURUSD=X, JPY=X) and futures (GC=F, ES=F).
_EQUALS_TICKER = re.compile(r"^[A-Za-z0-9^.\-]{1,15}=[XxFf]$")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def tokenize(text: str) -> list[str]:
    """Split a command line into words, refusing input no person would type."""
    if len(text) > MAX_INPUT_CHARS:
        raise UsageError(
            f"That is {len(text):,} characters; commands take at most {MAX_INPUT_CHARS}."
        )
    if has_control_chars(text):
        raise UsageError("That text holds control characters; type the command as plain text.")
    text = text.translate(_SMART_QUOTES)
    if '"' not in text and "'" not in text and "\\" not in text:
        return text.split()  # nothing for shlex to do, and it is slow
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        raise UsageError("A quote mark is not closed.") from None


def bind_text(spec: CommandSpec, words: Sequence[str]) -> dict[str, Any]:
    """Typed keyword arguments for `spec` from the words after the command name."""
    return convert_all(spec, collect_text(spec, words))


def collect_text(spec: CommandSpec, words: Sequence[str]) -> dict[str, list[str]]:
    """The words given for each parameter, by name, before conversion (see `bind_text`)."""
    raw: dict[str, list[str]] = {}
    positional: list[str] = []
    named_list: str | None = None  # a list set by name goes on taking words
    for word in words:
        match = _NAMED.match(word)
        param = spec.param(_option_name(match.group(1))) if match else None
        if match and param is not None:
            raw.setdefault(param.name, []).append(match.group(3))
            named_list = param.name if param.many else None
            continue
        if match and _unknown_option(spec, word, match):
            raise _unexpected(spec, word)
        if named_list is not None and not _takes_choice(spec, word, raw):
            raw[named_list].append(word)
            continue
        named_list = None
        positional.append(word)
    slots = [p for p in spec.params if p.positional and p.name not in raw]
    for index, param in enumerate(slots):
        if not positional:
            break
        if param.many:
            raw[param.name] = positional
            positional = []
        elif _skippable(param, positional[0], later=slots[index + 1 :]):
            # An optional choice left out at its place; the word is for a later parameter,
            # and the choice may still come later ("chart rocket lab 1y").
            later = _choice_index(param, positional[1:])
            if later is not None:
                raw[param.name] = [positional.pop(later + 1)]
        else:
            raw[param.name] = [positional.pop(0)]
    if positional:
        raise _unexpected(spec, positional[0])
    return raw


def _skippable(param: ParamSpec, word: str, later: Sequence[ParamSpec]) -> bool:
    """True for an optional choice that `word` is not, when a later parameter may take it.

    `chart SPCX AAPL` leaves range and type at their defaults and compares AAPL.
    """
    if param.required or not param.choices or not later:
        return False
    return word.lower() not in {c.lower() for c in param.choices}


def _option_name(text: str) -> str:
    return text.lower().replace("-", "_")


def _choices(param: ParamSpec) -> set[str]:
    return {c.lower() for c in param.choices}


def _choice_index(param: ParamSpec, words: Sequence[str]) -> int | None:
    """Where among `words` one of the choice's values stands, if anywhere."""
    choices = _choices(param)
    return next((i for i, w in enumerate(words) if w.lower() in choices), None)


def _takes_choice(spec: CommandSpec, word: str, raw: Mapping[str, list[str]]) -> bool:
    """True when `word` is a value of a positional choice not set yet (`1y` after a list)."""
    return any(
        p.positional and p.choices and p.name not in raw and word.lower() in _choices(p)
        for p in spec.params
    )


def _closest_option(spec: CommandSpec, name: str) -> str | None:
    """The parameter a mistyped option name most likely means, if any is close."""
    names = [p.name for p in spec.params]
    close = [o for o in names if len(name) >= 2 and (name.startswith(o) or o.startswith(name))]
    close = close or difflib.get_close_matches(name, names, n=1)
    return close[0] if close else None


def _unknown_option(spec: CommandSpec, word: str, match: re.Match[str]) -> bool:
    """True when a `name=value` word names an option the command does not have.

    `EURUSD=X` and `GC=F` are Yahoo symbols, not options. With ":" only a near miss of a
    real option name counts (`thme:light`); other words with a colon stay text.
    """
    if match.group(2) == "=":
        return not _EQUALS_TICKER.match(word)
    return _closest_option(spec, _option_name(match.group(1))) is not None


def _unexpected(spec: CommandSpec, word: str) -> UsageError:
    """A word no parameter takes; for `name=value` with an unknown name, say so."""
    match = _NAMED.match(word)
    if match is None:
        return UsageError(f"Unexpected '{safe_echo(word)}'.")
    name = _option_name(match.group(1))
    options = [p.name for p in spec.params if not p.positional]
    close = _closest_option(spec, name)
    hint = f"did you mean {close}=?" if close else f"options: {', '.join(options)}."
    if not close and not options:
        hint = f"`{spec.name}` takes no named options."
    return UsageError(f"Unknown option '{safe_echo(name, 30)}'; {hint}")


def bind_options(spec: CommandSpec, options: Mapping[str, Any]) -> dict[str, Any]:
    """Typed keyword arguments from options a platform already split by name (Discord)."""
    return convert_all(spec, collect_options(spec, options))


def collect_options(spec: CommandSpec, options: Mapping[str, Any]) -> dict[str, list[str]]:
    """The text given for each parameter from options split by name, before conversion."""
    raw: dict[str, list[str]] = {}
    for name, value in options.items():
        param = spec.param(name)
        if param is None:
            raise UsageError(f"Unknown option '{safe_echo(name)}'.")
        if value is None:
            continue
        if isinstance(value, str):
            if len(value) > MAX_INPUT_CHARS or has_control_chars(value):
                raise UsageError(f"{name}: not a value this command takes.")
            raw[name] = tokenize(value) if param.many else [value]
        elif isinstance(value, list | tuple):
            raw[name] = [str(v) for v in value]
        else:
            raw[name] = [str(value).lower() if isinstance(value, bool) else str(value)]
    return raw


def convert_all(spec: CommandSpec, raw: Mapping[str, list[str]]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for param in spec.params:
        values = raw.get(param.name)
        if values is None:
            if param.required:
                raise UsageError(f"Missing {param.usage_token().strip('[]')}.")
            kwargs[param.name] = param.default
            continue
        if param.many:
            items = [item for v in values for item in v.split(",") if item.strip()]
            if len(items) < param.min_items:
                raise UsageError(f"Missing {param.usage_token().strip('[]')}.")
            if param.max_items is not None and len(items) > param.max_items:
                raise UsageError(
                    f"{param.name}: at most {param.max_items} at a time (you gave {len(items)})."
                )
            kwargs[param.name] = [convert(param, item.strip()) for item in items]
        else:
            if len(values) > 1:
                raise UsageError(f"{param.name} was given more than once.")
            kwargs[param.name] = convert(param, values[0])
    return kwargs


def convert(param: ParamSpec, text: str) -> Any:
    """One word of text to the parameter's type, or a UsageError naming the parameter."""
    if len(text) > param.max_length:
        raise UsageError(f"{param.name}: at most {param.max_length} characters.")
    if param.parse is not None:
        try:
            return param.parse(text)
        except ValueError as exc:
            # Parsers may quote the user's words: made unable to ping here, not by renderers.
            raise UsageError(f"{param.name}: {safe_echo(str(exc), 300)}") from None
    kind = param.kind
    if kind is ParamKind.STRING:
        if not text.strip():
            raise UsageError(f"{param.name}: empty.")
        return text
    if kind is ParamKind.CHOICE:
        lowered = text.lower()
        for label, value in zip(param.choices, param.choice_values, strict=True):
            if label.lower() == lowered:
                return value
        close = difflib.get_close_matches(lowered, [c.lower() for c in param.choices], n=1)
        hint = f"; did you mean {close[0]}?" if close else "."
        raise UsageError(
            f"{param.name}: '{safe_echo(text)}' is not one of {', '.join(param.choices)}{hint}"
        )
    if kind is ParamKind.BOOLEAN:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise UsageError(f"{param.name}: say yes or no.")
    cleaned = text.replace(",", "").replace("_", "")
    try:
        if not cleaned.isascii():  # int() and float() also take Arabic-Indic and other digits
            raise ValueError(cleaned)
        number: float = int(cleaned) if kind is ParamKind.INTEGER else float(cleaned)
    except ValueError:
        what = "a whole number" if kind is ParamKind.INTEGER else "a number"
        raise UsageError(f"{param.name}: '{safe_echo(text)}' is not {what}.") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise UsageError(f"{param.name}: must be a finite number.")
    if param.min is not None and number < param.min:
        raise UsageError(f"{param.name}: must be at least {_bound(param.min)}.")
    if param.max is not None and number > param.max:
        raise UsageError(f"{param.name}: must be at most {_bound(param.max)}.")
    return number


def _bound(value: float) -> str:
    """A limit as people write it: 2147483647, not 2.14748e+09."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
