"""Link previews: OpenGraph parsing, the per-organisation cache, the worker task, refusals and failures (W5, W6)."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from advocacy.tenancy import organization_scope
from content import services
from content.models import LinkPreview, Post
from content.previews import parse_page, preview_fetch, preview_request
from content.tasks import fetch_link_preview
from tests.conftest import org_url
from tests.content.httpfixtures import local_server  # noqa: F401

HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE = b"""<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="Q3 report &amp; outlook">
<meta property="og:description" content="  Highlights
 of the   quarter ">
<meta property="og:image" content="/img/cover.png">
<meta property="og:site_name" content="Acme News">
</head><body><p>Hello</p></body></html>"""


def _run_task(preview):
    return fetch_link_preview.apply(kwargs={"organization_id": preview.organization_id, "preview_id": preview.pk}).get()


def _request(organization, url, django_capture_on_commit_callbacks, **kwargs):
    """preview_request, returning the preview and the tasks it enqueued on commit (not sent: run them by hand)."""
    with organization_scope(organization), django_capture_on_commit_callbacks() as callbacks:
        preview = preview_request(organization=organization, url=url, **kwargs)
    return preview, [callback.keywords for callback in callbacks]


def test_opengraph_is_parsed_and_a_relative_image_resolved(personas, local_server, django_capture_on_commit_callbacks):  # noqa: F811
    url = local_server.route("/news/q3", body=PAGE, headers=HTML)
    preview, enqueued = _request(personas.organization, url, django_capture_on_commit_callbacks)
    assert preview.status == LinkPreview.Status.PENDING
    assert enqueued == [{"organization_id": personas.organization.pk, "preview_id": preview.pk}]

    assert _run_task(preview) == "ok"

    with organization_scope(personas.organization):
        preview.refresh_from_db()
    assert preview.title == "Q3 report & outlook"
    assert preview.description == "Highlights of the quarter"
    assert preview.image_url == local_server.url("/img/cover.png")
    assert preview.site_name == "Acme News"
    assert preview.error == ""
    assert preview.fetched_at is not None


def test_title_and_meta_description_are_the_fallback():
    page = parse_page(
        '<html><head><title> Plain\n title </title><meta name="description" content="Short text"></head></html>',
        base_url="https://example.com/a",
    )
    assert (page.title, page.description, page.image_url, page.site_name) == ("Plain title", "Short text", "", "")


def test_lengths_are_trimmed_to_the_model():
    page = parse_page(
        f'<meta property="og:title" content="{"t" * 500}"><meta property="og:site_name" content="{"s" * 500}">'
        f'<meta property="og:image" content="https://example.com/{"i" * 3000}.png">',
        base_url="https://example.com/",
    )
    assert (len(page.title), len(page.site_name), page.image_url) == (300, 200, "")


@pytest.mark.parametrize(
    "image",
    ["javascript:alert(1)", " JavaScript:alert(1)", "data:image/png;base64,AAAA", "vbscript:x", "ftp://e.com/x"],
)
def test_a_non_http_image_is_dropped(image):
    page = parse_page(f'<meta property="og:image" content="{image}">', base_url="https://example.com/")
    assert page.image_url == ""


def test_markup_in_og_values_is_stored_as_inert_text(personas, local_server, django_capture_on_commit_callbacks):  # noqa: F811
    body = (
        b'<meta property="og:title" content="&lt;script&gt;alert(1)&lt;/script&gt;">'
        b'<meta property="og:description" content="<img src=x onerror=alert(1)>">'
        b"<title><script>alert(2)</script></title>"
    )
    url = local_server.route("/xss", body=body, headers=HTML)
    preview, _enqueued = _request(personas.organization, url, django_capture_on_commit_callbacks)
    _run_task(preview)
    with organization_scope(personas.organization):
        preview.refresh_from_db()

    assert preview.title == "<script>alert(1)</script>"
    assert preview.description == "<img src=x onerror=alert(1)>"
    rendered = Template("{{ preview.title }} {{ preview.description }}").render(Context({"preview": preview}))
    assert "<script>" not in rendered and "<img" not in rendered
    assert "&lt;script&gt;" in rendered


def test_a_non_html_page_fails_with_its_reason(personas, local_server, django_capture_on_commit_callbacks):  # noqa: F811
    url = local_server.route("/file.pdf", body=b"%PDF-1.7" * 10, headers={"Content-Type": "application/pdf"})
    preview, _enqueued = _request(personas.organization, url, django_capture_on_commit_callbacks)
    assert _run_task(preview) == "failed"
    with organization_scope(personas.organization):
        preview.refresh_from_db()
    assert "application/pdf" in preview.error_message
    assert preview.title == ""


def test_an_error_status_fails_with_its_reason(personas, local_server, django_capture_on_commit_callbacks):  # noqa: F811
    preview, _enqueued = _request(personas.organization, local_server.url("/gone"), django_capture_on_commit_callbacks)
    assert _run_task(preview) == "failed"
    with organization_scope(personas.organization):
        preview.refresh_from_db()
    assert "404" in preview.error_message


def test_an_unsafe_link_is_refused_and_the_post_still_saved(personas, django_capture_on_commit_callbacks):
    with organization_scope(personas.organization):
        post = Post.objects.create(organization=personas.organization, title="Internal", link="http://10.0.0.5/")
    preview, _enqueued = _request(personas.organization, post.link, django_capture_on_commit_callbacks, post=post)
    assert _run_task(preview) == "refused"
    with organization_scope(personas.organization):
        preview.refresh_from_db()
        post.refresh_from_db()
    assert preview.status == LinkPreview.Status.REFUSED
    assert preview.error_message == "This link points to a private or reserved network address."
    assert post.link_preview_id == preview.pk


def test_the_cache_is_per_organisation(personas, local_server, django_capture_on_commit_callbacks):  # noqa: F811
    url = local_server.route("/shared", body=PAGE, headers=HTML)
    ours, _enqueued = _request(personas.organization, url, django_capture_on_commit_callbacks)
    _run_task(ours)
    theirs, enqueued = _request(personas.other_organization, url, django_capture_on_commit_callbacks)

    assert theirs.pk != ours.pk
    assert theirs.status == LinkPreview.Status.PENDING
    assert enqueued == [{"organization_id": personas.other_organization.pk, "preview_id": theirs.pk}]
    with organization_scope(personas.other_organization):
        assert list(LinkPreview.objects.values_list("pk", flat=True)) == [theirs.pk]
        assert not LinkPreview.objects.filter(pk=ours.pk).exists()
    # The outsider's task cannot reach acme's row either, even given its id.
    assert (
        fetch_link_preview.apply(
            kwargs={"organization_id": personas.other_organization.pk, "preview_id": ours.pk}
        ).get()
        == "missing"
    )


def test_a_fresh_preview_is_reused_and_a_stale_one_fetched_again(
    personas,
    local_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    url = local_server.route("/page", body=PAGE, headers=HTML)
    first, _enqueued = _request(personas.organization, url, django_capture_on_commit_callbacks)
    _run_task(first)
    # The same link spelled differently (host case, tracking parameter, fragment) is the same cache entry.
    same_link = url.replace("/page", "/page?utm_source=rss#top")
    again, enqueued = _request(personas.organization, same_link, django_capture_on_commit_callbacks)
    assert (again.pk, enqueued) == (first.pk, [])

    with organization_scope(personas.organization):
        LinkPreview.objects.filter(pk=first.pk).update(fetched_at=timezone.now() - timedelta(hours=25))
    stale, enqueued = _request(personas.organization, url, django_capture_on_commit_callbacks)
    assert stale.pk == first.pk
    assert len(enqueued) == 1


def test_the_task_is_idempotent(personas, local_server, django_capture_on_commit_callbacks):  # noqa: F811
    url = local_server.route("/once", body=PAGE, headers=HTML)
    preview, _enqueued = _request(personas.organization, url, django_capture_on_commit_callbacks)
    assert _run_task(preview) == "ok"
    assert _run_task(preview) == "ok"
    assert len(local_server.requests) == 1


def test_preview_fetch_runs_in_scope_without_a_task(personas, local_server):  # noqa: F811
    url = local_server.route("/direct", body=b"<title>Direct</title>", headers=HTML)
    with organization_scope(personas.organization):
        preview = LinkPreview.objects.create(organization=personas.organization, url=url, url_hash="x" * 64)
        assert preview_fetch(preview=preview).title == "Direct"


# --- Previews are requested by the services, so every way of saving a post gets one ----------------------------------


def _enqueued_previews(callbacks) -> list[dict]:
    return [callback.keywords for callback in callbacks if getattr(callback, "func", None) == fetch_link_preview.delay]


def test_accepting_a_suggestion_with_a_link_requests_its_preview(
    client,
    personas,
    local_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    url = local_server.route("/award", body=PAGE, headers=HTML)
    with organization_scope(personas.organization):
        suggestion = services.suggestion_create(organization=personas.organization, by=personas.ambassador, url=url)
    client.force_login(personas.editor)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(org_url("suggestion_accept", personas, suggestion.pk))

    assert response.status_code == 302
    with organization_scope(personas.organization):
        post = Post.objects.select_related("link_preview").get(suggested_by=personas.ambassador)
    assert post.link_preview is not None and post.link_preview.status == LinkPreview.Status.PENDING
    assert _enqueued_previews(callbacks) == [
        {"organization_id": personas.organization.pk, "preview_id": post.link_preview.pk}
    ]
    assert _run_task(post.link_preview) == "ok"
    with organization_scope(personas.organization):
        post.link_preview.refresh_from_db()
    assert post.link_preview.title == "Q3 report & outlook"


def test_a_post_saved_by_the_services_gets_a_preview_of_its_new_link(personas, django_capture_on_commit_callbacks):
    with organization_scope(personas.organization), django_capture_on_commit_callbacks() as callbacks:
        post = services.post_create(organization=personas.organization, author=personas.editor, title="No link")
        assert post.link_preview_id is None
        post = services.post_update(post=post, by=personas.editor, link="https://news.acme.test/launch")
        first = post.link_preview
        post = services.post_update(post=post, by=personas.editor, link="https://news.acme.test/other")

    assert first is not None and first.url == "https://news.acme.test/launch"
    assert post.link_preview is not None and post.link_preview.url == "https://news.acme.test/other"
    assert [call["preview_id"] for call in _enqueued_previews(callbacks)] == [first.pk, post.link_preview.pk]


def test_removing_the_link_removes_the_preview(personas, django_capture_on_commit_callbacks):
    with organization_scope(personas.organization), django_capture_on_commit_callbacks():
        post = services.post_create(
            organization=personas.organization, author=personas.editor, title="Link", link="https://news.acme.test/a"
        )
        assert post.link_preview_id is not None
        post = services.post_update(post=post, by=personas.editor, link="")

    assert post.link_preview_id is None
