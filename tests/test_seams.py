"""The seams the next features lean on: typed services, and bot/ not reaching into commands/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot
from bot.context import DataKey, FeatureData

BOT_DIR = Path(bot.__file__).parent
COMPOSITION_ROOT = BOT_DIR / "app.py"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_the_composition_root_imports_commands() -> None:
    offenders = {
        str(path.relative_to(BOT_DIR.parent)): sorted(
            m for m in _imported_modules(path) if m == "commands" or m.startswith("commands.")
        )
        for path in BOT_DIR.rglob("*.py")
        if path != COMPOSITION_ROOT
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_context_module_imports_nothing_at_run_time_that_imports_it_back() -> None:
    # bot.context may name other services for type checking only; at run time it stands alone.
    tree = ast.parse((BOT_DIR / "context.py").read_text(encoding="utf-8"))
    runtime = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot")
    ]
    assert runtime == []


def test_feature_data_is_typed_by_key_and_says_what_is_missing() -> None:
    data = FeatureData()
    books: DataKey[list[str]] = DataKey("the books")
    namesake: DataKey[list[str]] = DataKey("the books")
    data.put(books, ["a"])
    assert data.get(books) == ["a"]
    assert books in data and namesake not in data  # a key is itself, not its name
    with pytest.raises(LookupError, match="the books was not loaded"):
        data.get(namesake)
