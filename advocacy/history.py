"""Audit entries read as sentences in the reader's language ("Camille Martin added Jules Michel to the programme …").

The core knows no feature app, so each app registers, from its AppConfig.ready, the sentence of every audit kind
it writes (``register_kinds``) and how to find the objects its entries name (``register_object_type``). A page
turns its entries into ``Line``s with ``lines``: one query per object type for the whole page, never one per entry.

Names come first from the entry's ``data`` (stored at the time, so a rename or a deletion leaves the sentence
readable), then from the live object, which also gives the link when the reader may open it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from advocacy.models import AuditEntry, Membership

Text = str | Promise


@dataclass(frozen=True)
class Ref:
    """An object named in a sentence: its name, and its address when it exists and the reader may open it."""

    name: str
    url: str = ""
    # Other objects the live one leads to, offered to the sentence by placeholder (a programme member's programme).
    related: tuple[tuple[str, Ref], ...] = ()

    def __html__(self) -> str:
        if self.url:
            return str(format_html('<a href="{}">{}</a>', self.url, self.name))
        return str(conditional_escape(self.name))


# Given the reader and the ids of one object type named on a page, the objects that still exist, by id (as text).
Resolver = Callable[[Membership, Sequence[str]], Mapping[str, Ref]]


@dataclass(frozen=True)
class ObjectType:
    """How the entries name an object of one model: ``gone`` when it no longer exists and ``data`` has no name."""

    gone: Text
    resolve: Resolver | None = None
    # Keys of an entry's data that hold the object's name at the time.
    name_keys: tuple[str, ...] = ("name", "title")


# The extra values of a sentence, read from the entry's data ("version 3", "2 members").
Values = Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class Kind:
    """One audit action. ``sentence`` uses ``%(actor)s``, ``%(object)s`` and the names given by ``values`` and
    ``refs`` (placeholder → (object type, data key holding its id), for other objects the entry names)."""

    label: Text
    sentence: Text
    values: Values | None = None
    refs: Mapping[str, tuple[str, str]] = field(default_factory=dict)


_kinds: dict[str, Kind] = {}
_object_types: dict[str, ObjectType] = {}


def register_kinds(kinds: Mapping[str, Kind]) -> None:
    _kinds.update(kinds)


def register_object_type(label: str, object_type: ObjectType) -> None:
    """``label`` is the model's ``_meta.label_lower``, as ``audit_log`` stores it in ``object_type``."""
    _object_types[label] = object_type


def kind(action: str) -> Kind | None:
    return _kinds.get(action)


def kind_choices() -> list[tuple[str, str]]:
    """Every registered kind as (action, label), in the reader's language and alphabetical order."""
    return sorted(((action, str(k.label)) for action, k in _kinds.items()), key=lambda choice: choice[1].casefold())


@dataclass(frozen=True)
class Line:
    entry: AuditEntry
    sentence: SafeString
    label: str

    @property
    def raw_data(self) -> str:
        """The entry's data as stored, for the "Details" of readers who may see it."""
        return json.dumps(self.entry.data, indent=2, ensure_ascii=False, sort_keys=True)


class _Values(dict[str, Any]):
    # A sentence whose translation names a value the kind does not give still renders, with a visible gap.
    def __missing__(self, key: str) -> str:
        return "…"


def actor_name(entry: AuditEntry) -> str:
    if entry.actor is not None:
        return entry.actor.display_name
    if entry.actor_name:
        return gettext("%(name)s (account deleted)") % {"name": entry.actor_name}
    if entry.api_token_name:
        return gettext("The API token “%(name)s”") % {"name": entry.api_token_name}
    return gettext("Relais")


def _data(entry: AuditEntry) -> Mapping[str, Any]:
    # ``data`` is a JSON column: rows written by hand or by an old version may hold something else than an object.
    return entry.data if isinstance(entry.data, dict) else {}


def _name_in_data(data: Mapping[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def lines(entries: Iterable[AuditEntry], *, membership: Membership) -> list[Line]:
    """The entries as sentences for ``membership``; their actors should be loaded with them (``select_related``)."""
    entries = list(entries)
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.object_type and entry.object_id:
            wanted[entry.object_type].add(entry.object_id)
        known = _kinds.get(entry.action)
        data = _data(entry)
        for type_label, key in known.refs.values() if known else ():
            if data.get(key) is not None:
                wanted[type_label].add(str(data[key]))
    found: dict[str, Mapping[str, Ref]] = {}
    for type_label, ids in wanted.items():
        object_type = _object_types.get(type_label)
        if object_type is not None and object_type.resolve is not None:
            found[type_label] = object_type.resolve(membership, sorted(ids))
    return [_line(entry, found) for entry in entries]


def numeric(ids: Iterable[str]) -> list[int]:
    """The ids of ``ids`` a primary key can hold, for resolvers (object ids are stored as text)."""
    return [int(value) for value in ids if value.isdigit() and len(value) < 19]


def named_by(model: type[models.Model], column: str) -> Resolver:
    """The resolver of a model named by one of its columns, with no page to link to (a topic, a token...)."""

    def resolve(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
        rows = model._default_manager.filter(organization=reader.organization_id, pk__in=numeric(ids))
        return {str(pk): Ref(name) for pk, name in rows.values_list("pk", column)}

    return resolve


def _ref(type_label: str, object_id: str, found: Mapping[str, Mapping[str, Ref]], stored_name: str) -> Ref:
    live = found.get(type_label, {}).get(object_id)
    if live is not None:
        return Ref(stored_name or live.name, live.url, live.related)
    if stored_name:
        return Ref(stored_name)
    object_type = _object_types.get(type_label)
    return Ref(str(object_type.gone) if object_type else gettext("an item"))


def _line(entry: AuditEntry, found: Mapping[str, Mapping[str, Ref]]) -> Line:
    data = _data(entry)
    known = _kinds.get(entry.action)
    if known is None:
        # Only entries written before their kind was registered, or by a removed feature, land here.
        known = Kind(label=entry.action, sentence=_("%(actor)s did “%(action)s”"))
    object_type = _object_types.get(entry.object_type)
    stored = _name_in_data(data, object_type.name_keys if object_type else ("name", "title"))
    values = _Values(actor=actor_name(entry), action=entry.action)
    values["object"] = _ref(entry.object_type, entry.object_id, found, stored)
    values.update(values["object"].related)
    for placeholder, (type_label, key) in known.refs.items():
        values[placeholder] = _ref(type_label, str(data.get(key, "")), found, "")
    if known.values is not None:
        values.update(known.values(data))
    escaped = _Values({name: conditional_escape(value) for name, value in values.items()})
    sentence = mark_safe(conditional_escape(str(known.sentence)) % escaped)  # noqa: S308 - every part is escaped
    return Line(entry=entry, sentence=sentence, label=str(known.label))


def choice_label(choices: type[Any], value: Any) -> str:
    """The label of ``value`` among ``choices`` (a TextChoices), or the value itself when it is no longer one."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)
