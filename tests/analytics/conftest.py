"""Tracked links served over real HTTP (the site's WSGI entry on a socket in a thread), a Redis of the test's own
when it must be stopped or paused, and the redirect's process-wide state reset between tests."""

import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

import pytest
import redis
import requests
from django.conf import settings as django_settings
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from advocacy.models import Membership, Organization
from advocacy.tenancy import organization_scope
from advocacy.wsgi import application as site_application
from ambassadors.models import Share
from analytics import clicks, redirect
from analytics.links import link_for_share
from analytics.models import TrackedLink
from content.models import Post
from tests.ambassadors.conftest import fake_linkedin, fake_x  # noqa: F401 - the fake networks, for these tests too
from tests.ambassadors.factories import ShareFactory
from tests.content.factories import PostFactory
from tests.factories import MembershipFactory, OrganizationFactory

BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(autouse=True)
def _fresh_redirect_state():
    redirect.targets.clear()
    redirect.post_states.clear()
    clicks._keys.clear()
    clicks._down_until = 0.0
    clicks._fast = None
    yield
    redirect.targets.clear()
    redirect.post_states.clear()
    clicks._keys.clear()
    clicks._down_until = 0.0
    clicks._fast = None


@dataclass
class Tracked:
    organization: Organization
    membership: Membership
    post: Post
    share: Share
    link: TrackedLink


def make_tracked(*, slug: str | None = None, link: str = "https://news.example.test/q3?lang=fr", **post) -> Tracked:
    organization = OrganizationFactory(**({"slug": slug} if slug else {}))
    with organization_scope(organization):
        membership = MembershipFactory(organization=organization)
        post_row = PostFactory(organization=organization, link=link, status=Post.Status.APPROVED, **post)
        share = ShareFactory(organization=organization, membership=membership, post=post_row)
        tracked = link_for_share(share)
    assert tracked is not None
    return Tracked(organization, membership, post_row, share, tracked)


@pytest.fixture
def tracked(transactional_db) -> Tracked:
    return make_tracked()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature is the stdlib's
        return


@dataclass
class LinkServer:
    url: str


@pytest.fixture
def link_server(transactional_db):
    """The site's WSGI entry (Django with /r/ mounted in front) on 127.0.0.1, in Django's threaded server, which
    closes each request thread's database connection as runserver does."""
    httpd = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler)
    httpd.set_app(site_application)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LinkServer(url=f"http://127.0.0.1:{httpd.server_port}")
    finally:
        httpd.shutdown()
        httpd.server_close()


def get(server, path: str, **headers: str) -> requests.Response:
    headers.setdefault("User-Agent", BROWSER)
    return requests.get(server.url + path, headers=headers, allow_redirects=False, timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalRedis:
    """A redis-server of the test's own, which the test may stop or pause without touching anyone else's."""

    def __init__(self, directory) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture
def local_redis(tmp_path, settings):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = LocalRedis(tmp_path)
    server.start()
    settings.RELAIS_CLICKS_REDIS_URL = server.url
    try:
        yield server
    finally:
        server.stop()


def location_host(response: requests.Response) -> str:
    return urlsplit(response.headers["Location"]).hostname or ""


def default_redis_url() -> str:
    return str(django_settings.RELAIS_CLICKS_REDIS_URL)


def call(path: str, *, method: str = "GET", **environ: str) -> tuple[str, dict[str, str], bytes]:
    """The redirect application called in this thread (for query counts and a fixed clock)."""
    env: dict = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_USER_AGENT": BROWSER, **environ}
    setup_testing_defaults(env)
    answer: dict = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(redirect.application(env, start_response))
    return answer["status"], answer["headers"], body
