"""What the blocking and the asyncio client share: finding the daemon, building params, the method map."""

from __future__ import annotations

import os
import shutil
from typing import Any, Mapping

__all__ = ["find_binary", "UNSET", "METHODS", "camel", "merge", "given", "params", "card_fields", "command_line"]


def find_binary(binary: str | os.PathLike[str] | None = None) -> str:
    """The daemon executable: ``binary`` if given, else ``$IMAGINAI_BIN``, else ``imaginai`` on PATH."""
    if binary is not None:
        return os.fspath(binary)
    explicit = os.environ.get("IMAGINAI_BIN")
    if explicit:
        return explicit
    found = shutil.which("imaginai")
    if found:
        return found
    raise FileNotFoundError("imaginai not found: pass the binary path, set IMAGINAI_BIN or put imaginai on PATH")


def command_line(binary: str, db: str | None, args: list[str]) -> list[str]:
    command = [binary, "serve"]
    if db is not None:
        command += ["--db", db]
    return command + args


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def merge(base: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A draft or change set: ``base`` as given plus keyword fields renamed to camelCase."""
    merged = dict(base or {})
    for key, value in fields.items():
        merged[camel(key)] = value
    return merged


class _Unset:
    """The default of keywords whose None is a value to send (JSON null), so "not given" needs its own mark."""

    def __repr__(self) -> str:
        return "UNSET"


#: A keyword argument left at UNSET is not sent; None is sent as JSON null.
UNSET: Any = _Unset()


def given(**fields: Any) -> dict[str, Any]:
    """Keyword fields that were given (None included, as null), renamed to camelCase."""
    return {camel(key): value for key, value in fields.items() if value is not UNSET}


def params(**fields: Any) -> dict[str, Any]:
    """Params from keyword arguments: camelCase names, optional params left out when None."""
    return {camel(key): value for key, value in fields.items() if value is not None}


def card_fields(base: Mapping[str, Any] | None, extra: Mapping[str, Any], rules: Mapping[str, Any]) -> dict[str, Any]:
    """A CardDraft or CardChanges: the dict, then other keywords, then the named rule keywords that were given."""
    fields = merge(base, extra)
    fields.update(given(**rules))
    return fields


#: Protocol method name → client method name, for every method of Protocol/openrpc.json. Both clients
#: have each of these methods (``AsyncClient``'s are coroutines).
METHODS: dict[str, str] = {
    "initialize": "initialize", "initialized": "initialized", "shutdown": "shutdown", "exit": "exit",
    "$/cancelRequest": "cancel_request",
    "scenario/list": "scenario_list", "scenario/get": "scenario_get", "scenario/create": "scenario_create",
    "scenario/update": "scenario_update", "scenario/delete": "scenario_delete",
    "scenario/duplicate": "scenario_duplicate", "scenario/export": "scenario_export",
    "scenario/import": "scenario_import",
    "card/create": "card_create", "card/update": "card_update", "card/delete": "card_delete",
    "card/duplicate": "card_duplicate", "cards/export": "cards_export", "cards/import": "cards_import",
    "adventure/start": "adventure_start", "adventure/list": "adventure_list", "adventure/get": "adventure_get",
    "adventure/update": "adventure_update", "adventure/duplicate": "adventure_duplicate",
    "adventure/delete": "adventure_delete", "adventure/restart": "adventure_restart",
    "adventure/summaryVersions": "adventure_summary_versions",
    "turn/list": "turn_list", "turn/edit": "turn_edit", "turn/delete": "turn_delete",
    "turn/versions": "turn_versions", "turn/useVersion": "turn_use_version",
    "settings/get": "settings_get", "settings/update": "settings_update",
    "story/act": "story_act", "story/continue": "story_continue", "story/retry": "story_retry",
    "story/undo": "story_undo", "story/redo": "story_redo", "story/preview": "story_preview",
    "usage/get": "usage_get", "models/list": "models_list",
}
