"""Why a feed's last poll failed, kept as a code and its parameters on the source and worded when read, in the
reader's language (polls run in a worker, whose language is nobody's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from content.safe_http import fetch_message

# What was wrong with a document that came back, by code.
INVALID_DETAILS: dict[str, Promise] = {
    "invalid_no_root": gettext_lazy("the document has no RSS or Atom root element"),
    "invalid_unreadable": gettext_lazy("the document cannot be read"),
    "invalid_syntax": gettext_lazy("line %(line)s, column %(column)s: %(message)s"),
}


def feed_error_message(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The sentence for a failure ``code``: "fetch" (``params`` carry the fetch's message and its parameters),
    "http_status", one of ``INVALID_DETAILS`` or "invalid_other" (the parser's own words in ``detail``); "" for none."""
    values = dict(params or {})
    if code == "fetch":
        return fetch_message(values.pop("message", ""), values)
    if code == "http_status":
        return _("The feed server answered with HTTP status %(status)s.") % values
    if code in INVALID_DETAILS:
        detail = str(INVALID_DETAILS[code]) % values if values else str(INVALID_DETAILS[code])
    elif code == "invalid_other":
        detail = str(values.get("detail", ""))
    else:
        return ""
    return _("This address does not return a valid RSS or Atom feed: %(detail)s") % {"detail": detail}
