"""The composer (``/o/<org>/feed/<post>/share/``): one post made the member's own, then shared now, scheduled or
prepared for copy-and-open. Made for a phone: the text first, everything else one thumb away.

What it offers and checks comes from ``ambassadors.services.composer`` (the first suggested text, how copied the
text is, a good time) and the share gate (``ambassadors.gate``); the share itself from ``share_schedule``. The live
check (``check/``, htmx) says what would stop the share and how copied the text is, before anything is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.views.base import add_service_error
from ambassadors.forms import LATER, ComposerCheckForm, ComposerForm
from ambassadors.models import API_NETWORKS, Share
from ambassadors.presentation import connection_health
from ambassadors.selectors import member_connections, member_time_zone
from ambassadors.services.composer import feedback, first_variant, suggested_time, variants_for
from ambassadors.services.connections import connections_path
from ambassadors.services.shares import PENDING, share_schedule
from ambassadors.views.shares import ShareArea, _created_message
from charter.compliance import rules_for_member
from content.models import Network, Post, PostVariant
from content.selectors import posts_visible_to


def angle_prompts() -> list[dict[str, str]]:
    """The personal angles the composer prompts for: a starter the member completes, put at the top of their text."""
    return [
        {"icon": "bi-heart", "label": _("Why this matters to me"), "starter": _("Why this matters to me: ")},
        {"icon": "bi-lightbulb", "label": _("What I learned"), "starter": _("What I learned: ")},
        {"icon": "bi-question-circle", "label": _("A question to my network"), "starter": _("My question to you: ")},
    ]


class ComposerArea(ShareArea):
    def shareable_post(self) -> Post | None:
        """The post, if the member may see it and it is live; None for anything else, missing posts included."""
        post = posts_visible_to(membership=self.membership).filter(pk=self.kwargs["post"]).first()
        return post if post is not None and post.is_live_at() else None

    def load_post(self) -> Post:
        post = self.shareable_post()
        if post is None:
            raise Http404
        return post

    def gone(self) -> HttpResponse:
        """A 404 that says why a post cannot be shared (withdrawn, expired, never the member's) without telling which,
        and gives back what the member typed: the same page for every post they may not share."""
        context = {"organization": self.organization, "typed": self.request.POST.get("text", "")}
        return TemplateResponse(self.request, "ambassadors/composer_gone.html", context, status=404)


class ComposerView(ComposerArea):
    """GET: the composer with the member's first suggested text; POST: the share, or the form again with every
    reason and everything typed."""

    template_name = "ambassadors/composer.html"

    def network_choice(self, raw: str) -> str:
        if raw in Network.values:
            return raw
        connected = {row.provider for row in self.connections if row.status == row.Status.ACTIVE}
        return next((network for network in API_NETWORKS if network in connected), Network.LINKEDIN)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.shareable_post()
        if post is None:
            return self.gone()
        self.connections = list(member_connections(membership=self.membership))
        network = self.network_choice(request.GET.get("network", ""))
        variants = variants_for(post, network)
        chosen = _variant_by_id(variants, request.GET.get("variant", "")) or first_variant(
            membership=self.membership, post=post, network=network
        )
        self.rules = rules_for_member(membership=self.membership, post=post)
        suggestion = suggested_time(membership=self.membership, post=post, rules=self.rules)
        form = ComposerForm(
            initial={
                "network": network,
                "variant": chosen.pk if chosen else None,
                "text": chosen.text if chosen else "",
                "when": "now",
                "at": timezone.localtime(suggestion.at).replace(tzinfo=None),
            },
            zone=member_time_zone(self.membership),
        )
        return self.page(form, post, variants=variants, chosen=chosen, suggestion=suggestion)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.shareable_post()
        if post is None:
            return self.gone()
        self.connections = list(member_connections(membership=self.membership))
        form = ComposerForm(request.POST, zone=member_time_zone(self.membership))
        network = self.network_choice(request.POST.get("network", ""))
        variants = variants_for(post, network)
        chosen = _variant_by_id(variants, request.POST.get("variant", ""))
        self.rules = rules_for_member(membership=self.membership, post=post)
        suggestion = suggested_time(membership=self.membership, post=post, rules=self.rules)
        error: ServiceError | None = None
        if form.is_valid() and self.in_future(form, suggestion.at):
            try:
                share = share_schedule(
                    membership=self.membership,
                    post=post,
                    network=form.cleaned_data["network"],
                    text=form.cleaned_data["text"],
                    at=form.scheduled_at(),
                    by=self.actor,
                    variant=chosen,
                )
            except ServiceError as refused:
                existing = (
                    self.pending_share(post, form.cleaned_data["network"]) if refused.code == "duplicate" else None
                )
                if existing is not None:
                    # A second click on "share" (or a second tab): the first one made the share; show it.
                    messages.info(request, _("This share was already made: here it is."))
                    return redirect(self.org_url("share_detail", existing))
                error = refused
                add_service_error(form, refused)
            else:
                messages.success(request, _created_message(share))
                return redirect(self.org_url("share_detail", share.pk))
        return self.page(form, post, variants=variants, chosen=chosen, suggestion=suggestion, error=error, status=400)

    def in_future(self, form: ComposerForm, suggested: datetime) -> bool:
        at = form.scheduled_at()
        if at is None or at > timezone.now():
            return True
        form.add_error(
            "at",
            _("This time has passed. Choose a later one, for example %(when)s.")
            % {"when": formats.date_format(timezone.localtime(suggested), "DATETIME_FORMAT")},
        )
        return False

    def pending_share(self, post: Post, network: str) -> int | None:
        return (
            Share.objects.filter(organization=self.organization, membership=self.membership, post=post, network=network)
            .filter(status__in=PENDING)
            .values_list("pk", flat=True)
            .first()
        )

    def page(
        self,
        form: ComposerForm,
        post: Post,
        *,
        variants: list[PostVariant],
        chosen: PostVariant | None,
        suggestion: Any,
        error: ServiceError | None = None,
        status: int = 200,
    ) -> HttpResponse:
        fix_link = self.fix_link(error)
        network = form["network"].value() or Network.LINKEDIN
        text = str(form["text"].value() or "")
        context = self.get_context_data(
            post=post,
            form=form,
            fix_link=fix_link,
            networks=self.network_rows(post),
            variants=variants,
            chosen=chosen,
            suggestion=suggestion,
            angles=angle_prompts(),
            feedback=feedback(self.membership, post, network, text, at=None, rules=self.rules),
            rules=self.rules,
        )
        return self.render_to_response(context, status=status)

    def network_rows(self, post: Post) -> list[dict[str, Any]]:
        """Each network with the account a share would go through, in words, and where to connect one."""
        by_provider = {row.provider: row for row in self.connections if row.status != row.Status.DISCONNECTED}
        rows = []
        for value, label in Network.choices:
            connection = by_provider.get(value)
            if value not in API_NETWORKS:
                state, account = "manual", _("You copy the text and post it yourself.")
            elif connection is None:
                state, account = "missing", _("No account connected yet.")
            else:
                health = connection_health(connection)
                state, account = health.state, health.message
            rows.append(
                {
                    "value": value,
                    "label": label,
                    "state": state,
                    "account": account,
                    # Connecting from here comes back to this composer, on this network.
                    "connect_url": connections_path(
                        self.membership, value, next_path=f"{self.request.path}?{urlencode({'network': value})}"
                    )
                    if state != "manual"
                    else "",
                }
            )
        return rows


def _variant_by_id(variants: list[PostVariant], raw: str) -> PostVariant | None:
    return next((variant for variant in variants if str(variant.pk) == raw), None)


class ComposerCheckView(ComposerArea):
    """The live check of the composer (htmx POST, nothing saved): the fragment under the text."""

    template_name = "ambassadors/_composer_feedback.html"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.load_post()
        form = ComposerCheckForm(request.POST)
        if not form.is_valid():
            return self.render_to_response({"feedback": {"empty": True}}, status=400)
        at = form.cleaned_data["at"] if form.cleaned_data.get("when") == LATER else None
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at)
        result = feedback(self.membership, post, form.cleaned_data["network"], form.cleaned_data["text"], at=at)
        return self.render_to_response({"feedback": result, "post": post})
