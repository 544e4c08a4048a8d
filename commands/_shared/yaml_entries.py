"""Curated YAML data files: the bundled file, the operator's files merged over it, and errors
that name the file, the entry and the field.

A feature describes its file (a pydantic model for the top level, how to build one entry, the
entry's id) and gets a list of entries back, or a DataFileError listing every problem. User
files in DATA_DIR are merged over the bundled one, same id replacing; a user file with a bad
entry is skipped whole (logged, and kept as DataProblems for `orbitdesk doctor`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

FileT = TypeVar("FileT", bound=BaseModel)
EntryT = TypeVar("EntryT")


def bundled(name: str) -> Path:
    """A data file shipped in commands/data/."""
    return Path(str(files("commands") / "data" / name))


@dataclass(frozen=True, slots=True)
class DataProblem:
    """A precise complaint about a data file: which file, which entry, which field."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}" if self.entry else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class DataFileError(Exception):
    """A data file that does not validate; `problems` says where."""

    def __init__(self, problems: Sequence[DataProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


class _TextDates(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is a field error, not a crash."""


_TextDates.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path) -> Any:
    """A YAML file's content; a syntax error becomes a DataFileError naming the line."""
    try:
        return yaml.load(
            path.read_text(encoding="utf-8"), Loader=_TextDates
        )  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise DataFileError(
            [DataProblem(path.name, where, "", f"not valid YAML ({getattr(exc, 'problem', exc)})")]
        ) from None
    except OSError as exc:
        raise DataFileError([DataProblem(path.name, "", "", f"cannot read: {exc}")]) from None


def validation_problems(file: str, entry: str, exc: ValidationError) -> list[DataProblem]:
    """Pydantic's errors as DataProblems naming the field path."""
    out = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        message = error["msg"]
        if message.startswith("Value error, "):
            # Our validators say "field: reason"; fold the field into the location.
            message = message.removeprefix("Value error, ")
            head, sep, rest = message.partition(": ")
            if sep and re.fullmatch(r"[a-z_.]+", head):
                loc, message = (f"{loc}.{head}" if loc else head), rest
        out.append(
            DataProblem(file, entry, loc or "(entry)", message.removeprefix("Value error, "))
        )
    return out


class EntryProblem(Exception):
    """One entry's problem found beyond its schema: the field and what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def load_entries(
    path: Path,
    file_model: type[FileT],
    label: str,
    entries: Callable[[FileT], list[dict[str, Any]]],
    build: Callable[[FileT, dict[str, Any]], EntryT],
    key: Callable[[EntryT], str],
) -> list[EntryT]:
    """Every entry of one data file, or a DataFileError naming each bad entry and field.

    `file_model` validates the file's top level, `entries` picks its list of entries and
    `build` turns one entry into a value (raising ValidationError or EntryProblem); `key` is
    the id that must not appear twice.
    """
    try:
        content = file_model.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise DataFileError(validation_problems(path.name, "", exc)) from None
    problems: list[DataProblem] = []
    out: list[EntryT] = []
    seen: set[str] = set()
    for index, item in enumerate(entries(content), start=1):
        ident = item.get("id") if isinstance(item, Mapping) else None
        entry = f"{label} #{index}" + (f" ({ident})" if ident else "")
        try:
            value = build(content, item)
        except ValidationError as exc:
            problems += validation_problems(path.name, entry, exc)
            continue
        except EntryProblem as exc:
            problems.append(DataProblem(path.name, entry, exc.field, exc.message))
            continue
        if key(value) in seen:
            problems.append(DataProblem(path.name, entry, "id", f"{key(value)!r} appears twice"))
        seen.add(key(value))
        out.append(value)
    if problems:
        raise DataFileError(problems)
    return out


def load_merged(
    bundled: Path,
    user_dir: Path | None,
    pattern: str,
    load: Callable[[Path], list[EntryT]],
    key: Callable[[EntryT], str],
) -> tuple[list[EntryT], list[DataProblem], list[str]]:
    """The bundled file's entries with every valid user file merged over them (same id
    replaces); also the problems of the files skipped and the names of the files used."""
    merged = {key(v): v for v in load(bundled)}
    problems: list[DataProblem] = []
    files = [bundled.name]
    for path in user_files(user_dir, pattern):
        try:
            extra = load(path)
        except DataFileError as exc:
            for problem in exc.problems:
                log.error("skipping user data file: %s", problem)
            problems += exc.problems
            continue
        files.append(path.name)
        for value in extra:
            merged[key(value)] = value
    return list(merged.values()), problems, files


def user_files(user_dir: Path | None, pattern: str) -> list[Path]:
    """The operator's data files matching `pattern`, in name order (later files win)."""
    if user_dir is None or not user_dir.is_dir():
        return []
    return sorted(p for p in user_dir.glob(pattern) if p.is_file())


def skipped_warning(problems: Sequence[DataProblem], what: str) -> str:
    """'A user data file was skipped: <first problem> (+N more). The bundled <what> are shown.'"""
    if not problems:
        return ""
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"A user data file was skipped: {problems[0]}{more}. The bundled {what} are shown."


def normalise(text: str) -> str:
    """Text as entries are searched: lower case, words separated by single spaces."""
    return re.sub(r"[^0-9a-z]+", " ", text.casefold()).strip()
