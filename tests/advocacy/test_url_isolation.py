"""Every URL of an organisation, pages and API, is closed to everyone but its members (T4, T5, T7).

The routes are read from the URL resolver, not listed: whatever is mounted under ``/o/<org>/`` or
``/api/v1/o/<org>/`` when the suite runs is checked, including what later issues add. Each test is parametrised by
the route, so a failure names it.
"""

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter
from django.urls.resolvers import RegexPattern, RoutePattern

from advocacy.models import Membership
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content.models import Post
from tests.content.factories import PostFactory
from tests.factories import (
    ApiTokenFactory,
    InvitationFactory,
    MembershipFactory,
    ProgrammeFactory,
    ProgrammeMemberFactory,
    UserFactory,
    make_tenant_row,
    tenant_models,
)
from tests.images import png

pytestmark = pytest.mark.django_db

PAGE_PREFIX = "o/<slug:org>/"
API_PREFIX = "api/v1/o/<slug:org>/"
UNKNOWN_ORG = "no-such-org"
METHODS = ["get", "post", "put", "patch", "delete"]
CONVERTER_KINDS = {
    IntConverter: "int",
    SlugConverter: "slug",
    StringConverter: "str",
    UUIDConverter: "uuid",
    PathConverter: "path",
}


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    kwargs: dict[str, str]  # kwarg name → kind of value ("int", "slug", "str", "uuid", "path", "regex")
    callback: Any = field(compare=False)

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX)


def _pattern_text(pattern: Any) -> str:
    text = str(pattern)
    return text.removeprefix("^").removesuffix("$") if isinstance(pattern, RegexPattern) else text


def _pattern_kwargs(pattern: Any) -> dict[str, str]:
    if isinstance(pattern, RoutePattern):
        return {name: CONVERTER_KINDS.get(type(conv), "str") for name, conv in pattern.converters.items()}
    return {name: "regex" for name in pattern.regex.groupindex}


def _walk(resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = (), kwargs=None):
    for entry in resolver.url_patterns:
        route = prefix + _pattern_text(entry.pattern)
        entry_kwargs = {**(kwargs or {}), **_pattern_kwargs(entry.pattern)}
        if isinstance(entry, URLResolver):
            spaces = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, route, spaces, entry_kwargs)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            yield Route(route=route, name=name, kwargs=entry_kwargs, callback=entry.callback)


def organization_routes() -> list[Route]:
    """Every URL pattern mounted under an organisation, pages and API."""
    routes = {r.route: r for r in _walk(get_resolver()) if r.route.startswith((PAGE_PREFIX, API_PREFIX))}
    return sorted(routes.values(), key=lambda r: r.route)


ROUTES = organization_routes()
ROUTE_PARAMS = [pytest.param(route, id=route.route) for route in ROUTES]
LIST_ROUTE_PARAMS = [pytest.param(r, id=r.route) for r in ROUTES if set(r.kwargs) == {"org"}]


# --- Filling the kwargs of a route with real objects of the organisation ---------------------------------------------


def _model_for_word(word: str) -> type[models.Model] | None:
    """``members`` → Membership, ``api-tokens`` → ApiToken, ``programme`` → Programme; None when nothing fits."""
    word = re.sub(r"[^a-z]", "", word.lower()).removesuffix("s")
    if not word:
        return None
    names = {model._meta.model_name: model for model in tenant_models()}
    for test in (str.__eq__, str.startswith, str.endswith):
        found = sorted((name for name in names if test(name, word)), key=len)
        if found:
            return names[found[0]]
    return None


def _view_model(route: Route) -> type[models.Model] | None:
    view = getattr(route.callback, "view_class", None) or getattr(route.callback, "cls", None)
    serializer = getattr(view, "serializer_class", None)
    for model in (
        getattr(view, "model", None),
        getattr(getattr(view, "queryset", None), "model", None),
        getattr(getattr(serializer, "Meta", None), "model", None),
    ):
        if model in tenant_models():
            return model
    return None


def _model_for_kwarg(route: Route, kwarg: str) -> type[models.Model]:
    """The kind of object a kwarg names: by its own name, else the path segment before it, else the view's model."""
    base = kwarg.removesuffix("_pk").removesuffix("_id")
    if base not in ("pk", "id", "slug", "uuid") and (model := _model_for_word(base)):
        return model
    before = re.split(rf"<(?:\w+:)?{kwarg}>|\(\?P<{kwarg}>", route.route)[0].rstrip("/").split("/")
    if before and (model := _model_for_word(before[-1])):
        return model
    return _view_model(route) or Membership


@dataclass
class World:
    personas: Any
    objects: dict[type[models.Model], models.Model]
    globex_markers: list[str]
    media_path: str = ""  # a file of acme's, as /o/<org>/media/<path> names it

    def url(self, route: Route, org: str) -> str:
        kwargs = {name: self.value(route, name, kind) for name, kind in route.kwargs.items()}
        kwargs["org"] = org
        if route.name is None:
            pytest.fail(f"{route.route}: give this pattern a name so the isolation walk can build its URL")
        return reverse(route.name, kwargs=kwargs)

    def value(self, route: Route, name: str, kind: str) -> Any:
        if name == "org":
            return self.personas.organization.slug
        if kind == "path" and route.name == "org_media":
            return self.media_path
        obj = self.objects[_model_for_kwarg(route, name)]
        if kind == "int" or name in ("pk", "id") or name.endswith(("_pk", "_id")):
            return obj.pk
        if hasattr(obj, name):  # slug, uuid, code…: the object's own value
            return getattr(obj, name)
        return obj.pk


@pytest.fixture
def world(personas, settings, tmp_path) -> World:
    """Acme with one object of every tenant model (the ids routes need), and Globex with data that must not leak."""
    acme, globex = personas.organization, personas.other_organization
    with organization_scope(acme):
        membership = Membership.objects.get(user=personas.ambassador)
        programme = ProgrammeFactory(organization=acme, name="Acme News", slug="acme-news")
        link = ProgrammeMemberFactory(programme=programme, membership=membership, organization=acme)
        objects: dict[type[models.Model], models.Model] = {
            Membership: membership,
            type(programme): programme,
            type(link): link,
        }
        invitation = InvitationFactory(organization=acme, email="invitee@acme.test")
        token = ApiTokenFactory(organization=acme)
        # The post is approved and meant for everyone: the routes that share it (composer, draft) open only live posts.
        post = PostFactory(organization=acme, status=Post.Status.APPROVED)
        objects.update({type(invitation): invitation, type(token): token, Post: post})
        for model in tenant_models():
            if model not in objects:
                objects[model] = make_tenant_row(model, acme)
    with organization_scope(globex):
        spies = [UserFactory(email=f"spy{n}@globex.test") for n in range(3)]
        for spy in spies:
            MembershipFactory(organization=globex, user=spy, role=Role.AMBASSADOR)
        ProgrammeFactory(organization=globex, name="Globex Skunkworks", slug="skunkworks")
        InvitationFactory(organization=globex, email="recruit@globex.test")
    markers = [personas.outsider.email, *(spy.email for spy in spies), "Globex Skunkworks", "recruit@globex.test"]
    settings.MEDIA_ROOT = tmp_path
    acme.logo.save("logo.png", ContentFile(png()))
    media_path = acme.logo.name.removeprefix(f"org/{acme.pk}/")
    return World(personas=personas, objects=objects, globex_markers=markers, media_path=media_path)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _normalised(body: bytes, slug: str) -> str:
    """The body with what legitimately differs between two requests removed: the slug typed, CSRF tokens."""
    text = body.decode("utf-8", errors="replace").replace(slug, "<org>")
    return re.sub(r"[A-Za-z0-9]{64}", "<csrf>", text)


# --- The walk itself ---------------------------------------------------------------------------------------------


def test_the_walk_finds_the_organisation_pages_and_api():
    found = {route.route for route in ROUTES}
    assert PAGE_PREFIX in found, "the organisation home is not under /o/<org>/"
    for name in ("members", "api-members-list"):
        try:
            path = reverse(name, kwargs={"org": "acme"})
        except NoReverseMatch:
            continue
        assert any(route.name == name for route in ROUTES), f"{path} exists but the walk missed it"
    assert any(route.is_api for route in ROUTES), "no API route under /api/v1/o/<org>/"


# --- T4: the outsider gets 404 everywhere, whatever the method -----------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_a_member_of_another_organisation_gets_404(route, method, world):
    url = world.url(route, world.personas.organization.slug)
    response = getattr(_signed_in(world.personas.outsider), method)(url)
    assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"


# --- T5: a foreign organisation and a non-existent one look the same ------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_a_foreign_organisation_looks_like_a_non_existent_one(route, method, world):
    client = _signed_in(world.personas.outsider)
    acme = world.personas.organization.slug
    foreign = getattr(client, method)(world.url(route, acme))
    unknown = getattr(client, method)(world.url(route, UNKNOWN_ORG))

    assert foreign.status_code == unknown.status_code == 404
    assert foreign.get("Content-Type") == unknown.get("Content-Type")
    assert _normalised(foreign.content, acme) == _normalised(unknown.content, UNKNOWN_ORG)


# --- Anonymous visitors: sign in for pages, 401 for the API ---------------------------------------------------------


@pytest.mark.parametrize("org", ["acme", UNKNOWN_ORG])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_an_anonymous_visitor_is_sent_to_sign_in_or_gets_401(route, method, org, world):
    url = world.url(route, org)
    response = getattr(Client(), method)(url)

    if route.is_api:
        assert response.status_code == 401, f"{method.upper()} {url} answered {response.status_code}"
        return
    assert response.status_code == 302, f"{method.upper()} {url} answered {response.status_code}"
    target = urlsplit(response["Location"])
    assert target.path == reverse("account_login")
    assert parse_qs(target.query)["next"] == [url]


# --- The URLs built above are real: a member reaches each of them --------------------------------------------------


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_the_organisations_admin_reaches_every_route(route, world):
    # Without this, a URL built with a wrong id would answer 404 to everyone and the tests above would prove nothing.
    url = world.url(route, world.personas.organization.slug)
    response = _signed_in(world.personas.admin).get(url)
    assert response.status_code not in (401, 404), f"GET {url} answered {response.status_code} to acme's admin"
    assert response.status_code < 500


# --- T7: lists never show another organisation's data ---------------------------------------------------------------


@pytest.mark.parametrize("route", LIST_ROUTE_PARAMS)
def test_no_list_shows_another_organisations_data(route, world):
    url = world.url(route, world.personas.organization.slug)
    body = _signed_in(world.personas.admin).get(url).content.decode()
    leaked = [marker for marker in world.globex_markers if marker in body]
    assert leaked == [], f"GET {url} shows Globex data: {leaked}"


@pytest.mark.parametrize("name", ["members", "api-members-list"])
def test_the_members_lists_show_acme_members_and_no_globex_address(name, world):
    url = reverse(name, kwargs={"org": world.personas.organization.slug})
    body = _signed_in(world.personas.admin).get(url).content.decode()

    assert world.personas.ambassador.email in body
    assert [email for email in world.globex_markers if "@" in email and email in body] == []


# --- A3: no state-changing request without a CSRF token, on any route, pages and session API alike ------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_a_member_write_without_csrf_token_is_refused(route, method, world):
    url = world.url(route, world.personas.organization.slug)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas.admin)

    response = getattr(client, method)(url)

    assert response.status_code == 403, f"{method.upper()} {url} without CSRF token answered {response.status_code}"
