"""Every route and endpoint that takes a post id answers a post the caller may not see exactly as a post that does
not exist: same status, same content type, same body once the id itself is blanked out.

Path routes are read from the URL resolver: every ``/o/<org>/`` and ``/api/v1/o/<org>/`` pattern with a kwarg that
names a post (resolved as ``test_url_isolation`` resolves kwargs). Ids in query strings and bodies are found in the
source: ``request.GET``/``request.POST`` reads of ``post``, serializer fields and form fields over ``Post``. Each of
those must be listed in ``BODY_ROUTES``, so a new one cannot be forgotten.

Callers: the ambassador (in the "Sales" programme), a manager (in none), an approver, and the outsider, admin of
Globex, who asks Globex's routes for Acme's posts, the live one included.
"""

import importlib
import inspect
import json
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.db.models import ForeignKey
from django.test import Client
from django.urls import reverse
from rest_framework import serializers

from advocacy.tenancy import scopes_disabled
from content.api.serializers import VisiblePostField
from content.models import Post
from tests.advocacy.test_url_isolation import Route, _model_for_kwarg, organization_routes
from tests.content.test_post_visibility import HIDDEN_FROM_APPROVERS, HIDDEN_FROM_MEMBERS, build_library

pytestmark = pytest.mark.django_db

APPS = ("advocacy", "ambassadors", "analytics", "charter", "content")
PATH_METHODS = ("get", "post", "patch", "delete")


def _post_kwarg(route: Route) -> str | None:
    names = [name for name in route.kwargs if name != "org" and _model_for_kwarg(route, name) is Post]
    return names[0] if names else None


POST_ROUTES = [route for route in organization_routes() if _post_kwarg(route)]


@dataclass(frozen=True)
class BodyRoute:
    """A route that takes the post id in its query string (``query``), form body (``form``) or JSON body (``json``).
    ``carrier`` is where the id is read: the view's module, or the form or serializer class."""

    name: str
    method: str
    where: str
    carrier: str
    fields: dict[str, Any] = field(default_factory=dict)


INCIDENT = {"kind": "leak", "description": "Seen on a forum."}
BODY_ROUTES = [
    BodyRoute("share_create", "get", "query", "ambassadors.views.shares"),
    BodyRoute("incident_report", "get", "query", "charter.views.rules"),
    BodyRoute(
        "incident_report",
        "post",
        "form",
        "charter.forms_rules.IncidentReportForm",
        {"kind": "leak", "description": "!"},
    ),
    BodyRoute(
        "referral_create",
        "post",
        "form",
        "analytics.forms.ReferralEventForm",
        {"kind": "hire", "occurred_on": "2026-05-01"},
    ),
    BodyRoute(
        "api-shares-list",
        "post",
        "json",
        "ambassadors.api.serializers_shares.ShareCreateSerializer",
        {"network": "generic", "text": "Hi"},
    ),
    BodyRoute(
        "api-compliance-check",
        "post",
        "json",
        "charter.api.serializers.ComplianceCheckSerializer",
        {"network": "x", "text": "Hi"},
    ),
    BodyRoute(
        "api-incidents-list",
        "post",
        "json",
        "charter.api.serializers.IncidentSerializer",
        {"kind": "leak", "description": "!"},
    ),
]


@dataclass(frozen=True)
class Caller:
    persona: str
    org: str  # "acme" or "globex": the outsider asks their own organisation for Acme's posts
    hidden: tuple[str, ...]


CALLERS = [
    Caller("ambassador", "acme", HIDDEN_FROM_MEMBERS),
    Caller("manager", "acme", (*HIDDEN_FROM_MEMBERS, "for_sales")),
    Caller("approver", "acme", HIDDEN_FROM_APPROVERS),
    Caller("outsider", "globex", ("live", *HIDDEN_FROM_MEMBERS)),
]
CALLER_PARAMS = [pytest.param(caller, id=f"{caller.persona}") for caller in CALLERS]


# --- Answers, and what may differ between two of them -----------------------------------------------------------------


def _normalised(body: bytes, pk: int) -> str:
    # Tokens first, then the id as a whole word only: a small id is also a digit of a token or of a colour (#1d4ed8).
    text = body.decode("utf-8", errors="replace")
    text = re.sub(r"nonce-[A-Za-z0-9+/=_-]+|nonce=\"[^\"]*\"", "<nonce>", text)
    text = re.sub(r"[A-Za-z0-9]{64}", "<csrf>", text)
    return re.sub(rf"(?<![0-9A-Za-z]){pk}(?![0-9A-Za-z])", "<post>", text)


def _answer(response: Any, pk: int) -> tuple[int, str, str]:
    return response.status_code, response.get("Content-Type", ""), _normalised(response.content, pk)


def _call(client: Client, method: str, url: str, where: str = "", data: dict[str, Any] | None = None) -> Any:
    if where == "json":
        return getattr(client, method)(url, json.dumps(data), content_type="application/json")
    if where == "query":
        return client.get(url, data)
    return getattr(client, method)(url, data or {})


@pytest.fixture
def setting(personas):
    library = build_library(personas)
    with scopes_disabled():
        missing = (Post.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    return personas, library, missing


def _client(personas, caller: Caller) -> Client:
    client = Client()
    client.force_login(getattr(personas, caller.persona))
    return client


# --- The walk --------------------------------------------------------------------------------------------------------


def test_the_walk_finds_the_routes_that_take_a_post_id():
    names = {route.name for route in POST_ROUTES}
    assert {
        "post_detail",
        "post_edit",
        "approval_decide",
        "post_reschedule",
        "api-posts-detail",
        "api-posts-approve",
    } <= (names)
    assert all(set(route.kwargs) == {"org", _post_kwarg(route)} for route in POST_ROUTES)


@pytest.mark.parametrize("caller", CALLER_PARAMS)
@pytest.mark.parametrize("route", [pytest.param(route, id=route.route) for route in POST_ROUTES])
def test_a_hidden_post_in_the_path_answers_as_a_missing_one(setting, route, caller):
    personas, library, missing = setting
    client = _client(personas, caller)
    name = _post_kwarg(route)

    def url(pk: int) -> str:
        return reverse(route.name, kwargs={"org": caller.org, name: pk})

    for method in PATH_METHODS:
        expected = _answer(getattr(client, method)(url(missing)), missing)
        assert expected[0] < 500, f"{method.upper()} {url(missing)} answered {expected[0]}"
        for kind in caller.hidden:
            pk = library.posts[kind].pk
            got = _answer(getattr(client, method)(url(pk)), pk)
            assert got == expected, f"{method.upper()} {url(pk)} ({kind}) differs from a missing post"


@pytest.mark.parametrize("caller", CALLER_PARAMS)
@pytest.mark.parametrize("entry", [pytest.param(e, id=f"{e.method}-{e.name}-{e.where}") for e in BODY_ROUTES])
def test_a_hidden_post_in_a_query_or_body_answers_as_a_missing_one(setting, entry, caller):
    personas, library, missing = setting
    client = _client(personas, caller)
    url = reverse(entry.name, kwargs={"org": caller.org})

    expected = _answer(_call(client, entry.method, url, entry.where, {**entry.fields, "post": missing}), missing)
    assert expected[0] < 500
    for kind in caller.hidden:
        pk = library.posts[kind].pk
        got = _answer(_call(client, entry.method, url, entry.where, {**entry.fields, "post": pk}), pk)
        assert got == expected, f"{entry.method.upper()} {url} with post={pk} ({kind}) differs from a missing post"


def test_a_visible_post_is_reached_so_the_walk_proves_something(setting):
    personas, library, missing = setting
    client = _client(personas, CALLERS[0])
    post = library.posts["for_sales"]
    page = client.get(reverse("share_create", kwargs={"org": "acme"}), {"post": post.pk}, follow=True)
    assert page.redirect_chain == [(reverse("composer", kwargs={"org": "acme", "post": post.pk}), 302)]
    assert post.title in page.content.decode()
    approver = _client(personas, CALLERS[2])
    assert approver.get(reverse("post_detail", kwargs={"org": "acme", "pk": post.pk})).status_code == 200
    assert approver.get(reverse("post_detail", kwargs={"org": "acme", "pk": missing})).status_code == 404


# --- Nothing takes a post id that BODY_ROUTES does not cover --------------------------------------------------------


def _project_modules():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if any(part in info.name for part in (".migrations", ".sandbox", ".management", ".settings")):
                continue
            yield importlib.import_module(info.name)


def _classes(base: type) -> list[type]:
    return [
        obj
        for module in _project_modules()
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, base) and obj.__module__ == module.__name__
    ]


def _carriers() -> set[str]:
    return {entry.carrier for entry in BODY_ROUTES}


def test_every_query_string_or_form_read_of_a_post_id_is_walked():
    # Read directly or through the shared query-string parser (advocacy.query.query_id).
    pattern = re.compile(r"""(\.(GET|POST)\.get\(|query_id\([^,]+,)\s*["']post["']""")
    readers = set()
    for app in APPS:
        for path in Path(settings.BASE_DIR, app).rglob("*.py"):
            if "sandbox" not in path.parts and pattern.search(path.read_text()):
                readers.add(".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts))
    assert readers and readers <= _carriers(), f"walk these too: {readers - _carriers()}"


def _takes_posts(field_: Any) -> bool:
    child = getattr(field_, "child_relation", field_)
    queryset = getattr(child, "queryset", None)
    return not getattr(field_, "read_only", False) and getattr(queryset, "model", None) is Post


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_serializer_field_that_takes_a_post_id_resolves_only_visible_posts():
    carriers: set[type] = set()
    for serializer in _classes(serializers.Serializer):
        declared = serializer._declared_fields
        for name, declared_field in declared.items():
            if _takes_posts(declared_field) or isinstance(declared_field, VisiblePostField):
                assert isinstance(declared_field, VisiblePostField), f"{serializer.__name__}.{name}"
                carriers.add(serializer)
        meta = getattr(serializer, "Meta", None)
        model, names = getattr(meta, "model", None), getattr(meta, "fields", ())
        if model is None or not isinstance(names, list | tuple):
            continue
        read_only = set(getattr(meta, "read_only_fields", ()))
        for model_field in model._meta.get_fields():
            if isinstance(model_field, ForeignKey) and model_field.related_model is Post:
                writable = model_field.name in names and model_field.name not in read_only
                assert not writable or model_field.name in declared, f"{serializer.__name__}.{model_field.name}"
    # A subclass (the detail view of an incident) inherits its parent's field: the parent's endpoint is walked.
    declaring = {_dotted(cls) for cls in carriers if not any(base in carriers for base in cls.__mro__[1:])}
    assert declaring and declaring <= _carriers(), f"walk these too: {declaring - _carriers()}"


def test_every_form_field_that_takes_a_post_id_is_walked():
    carriers = set()
    for form in _classes(forms.BaseForm):
        for form_field in getattr(form, "base_fields", {}).values():
            if isinstance(form_field, forms.ModelChoiceField) and form_field.queryset.model is Post:
                carriers.add(f"{form.__module__}.{form.__qualname__}")
    assert carriers and carriers <= _carriers(), f"walk these too: {carriers - _carriers()}"
