"""The site's WSGI entry: Django, with the small applications of ``RELAIS_WSGI_MOUNTS`` in front of it.

A mounted application (the tracked-link redirect) answers its path prefix without going through Django's
middleware and URL resolver; everything else goes to Django. The mounts are named in settings so that this core
module imports no feature app.

Once loaded, a worker's modules (every view, through the URLconf) are frozen out of the cyclic garbage collector: it
keeps them for its whole life, and the collector's full passes would walk them all again and again, holding a request
up now and then by as long as the request itself takes (about 100 ms on the dashboard, in bench/dashboard.py).
"""

import gc
import os
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "advocacy.settings.dev")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PathMounts:
    def __init__(self, default: WSGIApp, mounts: dict[str, str]) -> None:
        self.default = default
        self.mounts: list[tuple[str, WSGIApp]] = [(prefix, import_string(dotted)) for prefix, dotted in mounts.items()]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for prefix, mounted in self.mounts:
            if path.startswith(prefix):
                return mounted(environ, start_response)
        return self.default(environ, start_response)


django_application = get_wsgi_application()
application = PathMounts(django_application, settings.RELAIS_WSGI_MOUNTS)
import_module(settings.ROOT_URLCONF)
gc.freeze()
