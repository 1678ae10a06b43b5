"""Tracked links: the destination a share's link leads to, its code, and the text and link that go out.

A share gets its link when it is planned (``link_for_share``), whatever way it goes out (API, scheduled,
copy-and-open). What is published carries the tracked link in place of the post's (``outgoing``); a share that never
got one (planned before links existed, or a post without a link) goes out as before.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from analytics.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    HTTP_SCHEMES,
    ReferralCode,
    TrackedLink,
    tracked_url,
)
from analytics.redirect import share_targets
from analytics.selectors import tracking_settings
from content.text import x_text_with_link

if TYPE_CHECKING:
    from advocacy.models import Membership, Organization
    from ambassadors.models import Share
    from content.models import Post

REFERRAL_CODE_LENGTH = 8
PLACEHOLDERS = ("network", "post", "post_id", "organization")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_destination_validator = URLValidator(schemes=list(HTTP_SCHEMES))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def utm_template_errors(template: str) -> list[str]:
    """What is wrong with an organisation's tracking parameters, in the reader's language; empty when fine."""
    errors = []
    unknown = sorted({name for name in _PLACEHOLDER.findall(template) if name not in PLACEHOLDERS})
    if unknown:
        errors.append(
            _("Unknown placeholder %(names)s: use %(allowed)s.")
            % {
                "names": ", ".join(f"{{{name}}}" for name in unknown),
                "allowed": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
            }
        )
    leftover = _PLACEHOLDER.sub("", template)
    if "{" in leftover or "}" in leftover:
        errors.append(_("A brace is not closed: write placeholders as {network}."))
    for pair in filter(None, template.split("&")):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            errors.append(_("Write the parameters as name=value pairs joined by &, for example utm_medium=social."))
            break
    return errors


def _template_values(*, organization: Organization, post: Post, network: str) -> dict[str, str]:
    return {
        "network": network,
        "post": slugify(post.title)[:60] or f"post-{post.pk}",
        "post_id": str(post.pk),
        "organization": organization.slug,
    }


def destination_for(
    *, link: str, template: str, organization: Organization, post: Post, network: str, referral: tuple[str, str] | None
) -> str:
    """``link`` with the organisation's tracking parameters added (a parameter the link already has is kept as the
    editor wrote it) and the member's referral code under the post's referral parameter."""
    parts = urlsplit(link)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _value in query}
    values = _template_values(organization=organization, post=post, network=network)
    for pair in filter(None, template.split("&")):
        name, _sep, value = pair.partition("=")
        name = name.strip()
        if name and name not in present:
            query.append((name, _PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), value)))
            present.add(name)
    if referral is not None:
        parameter, code = referral
        query = [(name, value) for name, value in query if name != parameter] + [(parameter, code)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def referral_code(membership: Membership) -> str:
    """The member's referral code, created the first time a post asks for one."""
    existing = ReferralCode.objects.filter(membership=membership).values_list("code", flat=True).first()
    if existing:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(REFERRAL_CODE_LENGTH))
        try:
            with transaction.atomic():
                ReferralCode.objects.create(organization=membership.organization, membership=membership, code=code)
            return code
        except IntegrityError:
            # Another request created the member's code, or the code is taken in the organisation.
            existing = ReferralCode.objects.filter(membership=membership).values_list("code", flat=True).first()
            if existing:
                return existing
    raise RuntimeError("No free referral code after 5 tries.")


def link_for_share(share: Share) -> TrackedLink | None:
    """The share's tracked link, created with its destination when the share is planned; None when the share has
    no http(s) link to track."""
    existing = TrackedLink.objects.filter(share=share).first()
    if existing is not None:
        return existing
    if not share.link or urlsplit(share.link).scheme not in HTTP_SCHEMES:
        return None
    post = share.post
    organization = share.organization
    referral = (post.referral_parameter, referral_code(share.membership)) if post.referral_parameter else None
    destination = destination_for(
        link=share.link,
        template=tracking_settings(organization=organization).utm_template,
        organization=organization,
        post=post,
        network=share.network,
        referral=referral,
    )
    try:
        _destination_validator(destination)
    except ValidationError:
        # The post's link was accepted by its own validation; parameters that break it leave the share untracked
        # rather than sending readers somewhere broken.
        return None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                tracked = TrackedLink.objects.create(
                    organization=organization,
                    code=new_code(),
                    share=share,
                    post=post,
                    membership=share.membership,
                    network=share.network,
                    destination=destination,
                )
        except IntegrityError:
            continue
        transaction.on_commit(partial(share_targets, [tracked]))
        return tracked
    raise RuntimeError("No free link code after 5 tries.")


@dataclass(frozen=True)
class Outgoing:
    """What a share publishes: its text with the tracked link in place of the post's, and the link itself."""

    text: str
    link: str

    @property
    def x_text(self) -> str:
        return x_text_with_link(self.text, self.link)


def outgoing(share: Share) -> Outgoing:
    return outgoing_with_code(share, TrackedLink.objects.filter(share=share).values_list("code", flat=True).first())


def outgoing_with_code(share: Share, code: str | None) -> Outgoing:
    """``outgoing`` for a page that read its shares' links at once (``analytics.selectors.share_link_summaries``)."""
    if not code or not share.link:
        return Outgoing(text=share.text, link=share.link)
    public = tracked_url(code)
    return Outgoing(text=share.text.replace(share.link, public), link=public)
