"""The OpenAPI schema and its Swagger UI: public, complete, and served without any third-party host."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from rest_framework.test import APIClient

ORGANIZATION_PATHS = {
    "/api/v1/o/{org}/feed/",
    "/api/v1/o/{org}/feed/{post}/draft/",
    "/api/v1/o/{org}/feed/{post}/check/",
    "/api/v1/o/{org}/members/",
    "/api/v1/o/{org}/members/{id}/",
    "/api/v1/o/{org}/members/invite/",
    "/api/v1/o/{org}/programmes/",
    "/api/v1/o/{org}/programmes/{id}/",
    "/api/v1/o/{org}/programmes/{id}/members/",
    "/api/v1/o/{org}/programmes/{id}/members/{membership_id}/",
    "/api/v1/o/{org}/topics/",
    "/api/v1/o/{org}/topics/{id}/",
    "/api/v1/o/{org}/posts/",
    "/api/v1/o/{org}/posts/{id}/",
    *(
        f"/api/v1/o/{{org}}/posts/{{id}}/{action}/"
        for action in ("submit", "withdraw-submission", "withdraw", "approve", "request-changes", "reject")
    ),
    "/api/v1/o/{org}/posts/{id}/reschedule/",
    "/api/v1/o/{org}/approvals/",
    "/api/v1/o/{org}/suggestions/",
    "/api/v1/o/{org}/suggestions/{id}/",
    "/api/v1/o/{org}/suggestions/{id}/accept/",
    "/api/v1/o/{org}/suggestions/{id}/decline/",
    *(f"/api/v1/o/{{org}}/charter/{name}" for name in ("", "accept/", "leave/", "versions/", "report/")),
    "/api/v1/o/{org}/compliance/rules/",
    "/api/v1/o/{org}/compliance/check/",
    "/api/v1/o/{org}/incidents/",
    "/api/v1/o/{org}/incidents/{id}/",
    "/api/v1/o/{org}/incidents/{id}/withdraw-post/",
    "/api/v1/o/{org}/connections/",
    "/api/v1/o/{org}/connections/{id}/",
    "/api/v1/o/{org}/shares/",
    "/api/v1/o/{org}/shares/{id}/",
    *(
        f"/api/v1/o/{{org}}/shares/{{id}}/{action}/"
        for action in ("cancel", "reschedule", "retry", "mark-posted", "publish-now", "links")
    ),
    "/api/v1/o/{org}/notifications/",
    "/api/v1/o/{org}/notifications/{id}/read/",
    "/api/v1/o/{org}/notifications/read-all/",
    "/api/v1/o/{org}/notifications/settings/",
    *(
        f"/api/v1/o/{{org}}/analytics/{name}/"
        for name in ("summary", "over-time", "funnel", "topics", "top-posts", "programmes", "me")
    ),
    "/api/v1/o/{org}/analytics/exports/",
    "/api/v1/o/{org}/analytics/exports/{id}/",
    "/api/v1/o/{org}/analytics/exports/{table}/",
}


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_public_and_lists_every_path(schema):
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == ORGANIZATION_PATHS


def test_schema_documents_token_and_session_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["organizationToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["organizationToken"]["description"],
    }
    assert "cookieAuth" in schemes


def test_schema_describes_the_member_and_the_invitation(schema):
    components = schema["components"]["schemas"]
    assert set(components["Member"]["properties"]) == {
        "id",
        "email",
        "full_name",
        "role",
        "status",
        "programmes",
        "created_at",
    }
    assert set(components["InviteResult"]["properties"]) == {"invited", "already_members", "already_invited", "invalid"}
    list_parameters = {p["name"] for p in schema["paths"]["/api/v1/o/{org}/members/"]["get"]["parameters"]}
    assert {"org", "q", "role", "status", "page"} <= list_parameters


def test_schema_ignores_a_bearer_token(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer rls_whatever")
    assert client.get("/api/v1/schema/").status_code == 200


def test_docs_page_uses_only_local_assets(db):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    # The init script comes from the docs view itself (the Content-Security-Policy refuses inline scripts).
    assets.remove("/api/v1/docs/?script=")
    assert assets
    assert all(asset.startswith("/static/") for asset in assets), assets
    # Each one is a file staticfiles knows (drf-spectacular-sidecar's), so collectstatic ships it.
    assert all(finders.find(asset.removeprefix("/static/").split("?")[0]) for asset in assets), assets
    assert not re.search(r"https?://", html)
    script = Client().get("/api/v1/docs/?script=").content.decode()
    assert "/api/v1/schema/" in script
    assert not re.search(r"https?://", script)


def test_schema_describes_the_kpi_figures_and_their_filters(schema):
    components = schema["components"]["schemas"]
    figures = components["Figures"]["properties"]
    assert {"shares", "unique_clicks", "likes", "likes_known", "engagement", "potential_reach"} <= set(figures)
    assert figures["likes"]["nullable"] is True and "never 0" in figures["likes"]["description"]
    summary = schema["paths"]["/api/v1/o/{org}/analytics/summary/"]["get"]
    parameters = {p["name"]: p for p in summary["parameters"]}
    assert {"org", "start", "end", "programme", "topic", "network"} <= set(parameters)
    assert all(parameters[name].get("description") for name in ("start", "end", "programme", "topic", "network"))
    assert summary["responses"]["200"]["content"]["application/json"]["examples"]
    me = {p["name"] for p in schema["paths"]["/api/v1/o/{org}/analytics/me/"]["get"]["parameters"]}
    assert "programme" not in me and "topic" not in me
