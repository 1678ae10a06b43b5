"""Pages of a member's shares, under /o/<org>/ (the scope middleware applies): the overview by section and the lists
by section or status, the old share form's address (now leading to the feed's composer), a share's page with its
attempt log and actions, and the organisation's publishing settings (the X budget).

A member sees and acts on their own shares only; another member's share is a 404, except that the administrators
who oversee publishing (``publishing.manage``) may read one, without any action, to help its author. Times are
shown and typed in the member's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.generic import TemplateView, View

from advocacy.errors import ServiceError
from advocacy.query import query_id
from advocacy.views.base import (
    ForgivingListView,
    OrganizationPermissionMixin,
    OrgUrlMixin,
    add_service_error,
    safe_next,
)
from ambassadors.forms import (
    MarkPostedForm,
    PublishingSettingsForm,
    ShareFilterForm,
    ShareRescheduleForm,
    ShareTextForm,
)
from ambassadors.models import Share
from ambassadors.presentation import (
    attach_latest_metrics,
    attempt_rows,
    needs_action_reason,
    share_actions,
    share_copy_and_open,
    share_fix,
    share_note,
    status_label,
    status_sentence,
)
from ambassadors.selectors import (
    SHARE_SECTIONS,
    member_section_shares,
    member_share_sections,
    member_shares,
    member_time_zone,
    publishing_settings,
    share_attempts,
    share_counts,
    x_spend_summary,
)
from ambassadors.services.connections import connections_path
from ambassadors.services.shares import (
    publishing_settings_save,
    share_cancel,
    share_mark_posted_manually,
    share_publish_now,
    share_reschedule,
    share_retry,
    share_update_text,
)
from analytics.links import outgoing_with_code
from analytics.models import TrackedLink
from analytics.selectors import ShareLinks, clicks_per_day, share_link_summaries, share_links, summarise_links
from charter.compliance import member_zone
from content.models import Network
from content.selectors import posts_visible_to

Status = Share.Status

# The sections of the page, in order, each with its heading and how many rows it shows before "see all": every
# share that waits for the member up to a bound, the next ones to go out, the latest ones out.
SECTIONS = [
    ("needs_you", gettext_lazy("Needs you"), 30),
    ("upcoming", gettext_lazy("Upcoming"), 10),
    ("published", pgettext_lazy("shares section", "Published"), 10),
]

# The section tabs lead to the full, paginated lists; cancelled shares are in no section, so they have a tab of
# their own. A status of a section (?status=failed, from a notification) shows as that section's tab.
TABS = [
    ("", gettext_lazy("Overview")),
    *((key, title) for key, title, _shown in SECTIONS),
    (Status.CANCELLED, pgettext_lazy("shares tab", "Cancelled")),
]


class MemberTimeZoneMixin:
    """Renders in the member's time zone (their own, else the organisation's), and parses typed dates in it."""

    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with timezone.override(member_zone(request.membership)):  # type: ignore[attr-defined]
            response: HttpResponseBase = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            # A TemplateResponse renders after the view returns: render it here, while the zone is active.
            if isinstance(response, TemplateResponse) and not response.is_rendered:
                response.render()
            return response


class ShareArea(OrgUrlMixin, OrganizationPermissionMixin, MemberTimeZoneMixin, TemplateView):
    permission = "shares.own"

    def fix_link(self, error: ServiceError | None) -> dict[str, Any] | None:
        """Where the member fixes a refusal whose fix is on another page (``FIX_LINKS``), for the form's alert."""
        fix = FIX_LINKS.get(error.code) if error is not None else None
        if fix is None:
            return None
        url = connections_path(self.membership) if fix[0] == "connections" else self.org_url(fix[0])
        return {"url": url, "label": fix[1]}


def clicks_label(unique: int) -> str:
    if not unique:
        return _("No clicks yet")
    return ngettext("%(count)s unique click", "%(count)s unique clicks", unique) % {"count": unique}


def share_row(share: Share, *, owner: bool = True, links: Mapping[int, ShareLinks]) -> dict[str, Any]:
    """What the pages show about one share: its state in words, the fix it waits for, and the member's actions.
    ``links`` summarises the page's tracked links by share (``analytics.selectors``): the code the text to copy
    carries and the clicks."""
    actions = share_actions(share) if owner else set()
    summary = links.get(share.pk)
    sent = outgoing_with_code(share, summary.code if summary else None) if "copy" in actions else None
    return {
        "share": share,
        "status_label": status_label(share),
        "status_sentence": status_sentence(share),
        # Another member's share is read, not acted on: only the reason of a wait, without the author's own fixes.
        "hint": share_fix(share) if owner else needs_action_reason(share),
        "note": share_note(share),
        "actions": actions,
        "intent_url": share_copy_and_open(share, sent) if sent is not None else "",
        # What the member pastes: the tracked link in place of the post's, so their readers' clicks count.
        "copy_text": sent.x_text if sent is not None else "",
        "clicks_label": clicks_label(summary.unique) if summary is not None else "",
    }


# --- The list ------------------------------------------------------------------------------------------------------


class ShareListView(OrgUrlMixin, OrganizationPermissionMixin, MemberTimeZoneMixin, ForgivingListView):
    """Without a status: the sections (``SECTIONS``), a few rows each, the empty ones left out. With a status or a
    section's key: that list, paginated."""

    permission = "shares.own"
    template_name = "ambassadors/shares.html"
    context_object_name = "shares"
    paginate_by = 25

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.status = ShareFilterForm(request.GET).value("status", "")
        self.counts = share_counts(membership=self.membership)
        if self.status:
            return super().get(request, *args, **kwargs)
        # Not a list, so not ListView's response: it would name templates after a list this page does not have.
        return TemplateResponse(
            request, self.template_name, {"view": self, **self.common(), "sections": self.sections()}
        )

    def get_queryset(self) -> QuerySet[Share]:
        if self.status in SHARE_SECTIONS:
            return member_section_shares(membership=self.membership, key=self.status)
        return member_shares(membership=self.membership, status=self.status)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = list(context["page_obj"].object_list)
        attach_latest_metrics(page)
        links = share_link_summaries(share.pk for share in page)
        rows = [share_row(share, links=links) for share in page]
        return {**context, **self.common(), "rows": rows}

    def sections(self) -> list[dict[str, Any]]:
        # The sections' rows in one query, then the published rows' figures and every row's links in one each: the
        # same few queries however many shares the member has.
        found = member_share_sections(
            membership=self.membership, shown={key: shown for key, _title, shown in SECTIONS if self.section_count(key)}
        )
        attach_latest_metrics(found.get("published", []))
        links = share_link_summaries(share.pk for shares in found.values() for share in shares)
        return [
            {
                "key": key,
                "title": title,
                "rows": [share_row(share, links=links) for share in found[key]],
                "more": self.more_link(key, len(found[key])),
            }
            for key, title, _shown in SECTIONS
            if key in found
        ]

    def section_count(self, key: str) -> int:
        return sum(self.counts[status] for status in SHARE_SECTIONS[key].statuses)

    def more_link(self, key: str, shown: int) -> dict[str, str] | None:
        total = self.section_count(key)
        if total <= shown:
            return None
        label = ngettext("See all %(count)s", "See all %(count)s", total) % {"count": total}
        return {"url": f"?status={key}", "label": label}

    def common(self) -> dict[str, Any]:
        current = next((key for key, section in SHARE_SECTIONS.items() if self.status in section.statuses), self.status)
        tabs = [
            {
                "value": value,
                "label": label,
                "count": self.section_count(value) if value in SHARE_SECTIONS else self.counts.get(value),
                "current": value == current,
            }
            for value, label in TABS
        ]
        return {
            "tabs": tabs,
            "status": self.status,
            "total": sum(self.counts.values()),
            "zone": member_time_zone(self.membership),
        }


# --- Sharing a post ------------------------------------------------------------------------------------------------


# Refusals whose fix is on another page: the composer links to it.
FIX_LINKS: dict[str, tuple[str, Any]] = {
    "charter_required": ("charter_join", gettext_lazy("Read and accept the charter")),
    "connection_required": ("connections", gettext_lazy("Open your connected accounts")),
    "reconnect_required": ("connections", gettext_lazy("Open your connected accounts")),
}


class ShareCreateRedirectView(OrgUrlMixin, OrganizationPermissionMixin, View):
    """The address of the old share form (``?post=<id>&network=<n>``), kept for links and bookmarks: the composer of
    that post, on that network, or the feed when there is no post to open. The composer is the one share form."""

    permission = "shares.own"
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post_id = query_id(request.GET, "post")
        # A post this member may not see leads where a missing one does (``content.selectors.posts_visible_to``).
        if post_id is None or not posts_visible_to(membership=self.membership).filter(pk=post_id).exists():
            return redirect(self.org_url("feed"))
        url = self.org_url("composer", post_id)
        network = request.GET.get("network", "")
        return redirect(f"{url}?{urlencode({'network': network})}" if network in Network.values else url)


def _created_message(share: Share) -> str:
    if share.status == Status.MANUAL:
        return _("Ready: copy your text, open the network and post it, then tell us it is done.")
    if share.scheduled_at is not None and share.scheduled_at > timezone.now():
        when = formats.date_format(timezone.localtime(share.scheduled_at), "DATETIME_FORMAT")
        return _("Your share is scheduled for %(when)s.") % {"when": when}
    return _("Your share is going out now.")


# --- One share -----------------------------------------------------------------------------------------------------


class ShareDetailView(ShareArea):
    """A share, its attempt log and the member's actions, each a POST form (``action`` says which)."""

    template_name = "ambassadors/share_detail.html"
    model = Share

    def load(self) -> Share:
        found = Share.objects.filter(organization=self.organization).select_related(
            "post", "connection", "organization", "membership__organization", "membership__user"
        )
        share = get_object_or_404(found, pk=self.kwargs["pk"])
        self.owner = share.membership_id == self.membership.pk
        if not self.owner and not self.membership.has_perm("publishing.manage"):
            raise Http404
        return share

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(self.load())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        share = self.load()
        if not self.owner:
            raise PermissionDenied
        handler = self.handlers().get(request.POST.get("action", ""))
        if handler is None:
            return self.page(share, error=_("Choose an action."), status=400)
        return handler(share)

    def handlers(self) -> dict[str, Callable[[Share], HttpResponse]]:
        return {
            "cancel": lambda share: self.simple(share, share_cancel, _("The share was cancelled.")),
            "publish_now": lambda share: self.simple(share, share_publish_now, _("Your share is going out now.")),
            "retry": lambda share: self.simple(share, share_retry, _("Your share is going out again.")),
            "reschedule": self.reschedule,
            "mark_posted": self.mark_posted,
            "edit": self.edit,
        }

    def simple(self, share: Share, service: Callable[..., Share], done: str) -> HttpResponse:
        try:
            service(share=share, by=self.actor)
        except ServiceError as error:
            return self.page(share, error=error.message, status=400)
        messages.success(self.request, done)
        return redirect(self.back())

    def with_form(
        self, share: Share, form: forms.Form, name: str, act: Callable[[dict[str, Any]], object], done: str
    ) -> HttpResponse:
        if form.is_valid():
            try:
                act(form.cleaned_data)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(self.request, done)
                return redirect(self.back())
        return self.page(share, status=400, given={name: form})

    def back(self) -> str:
        """Where a done action leads: the list of shares it was taken from (``next``: that page of this organisation
        only, never another site), else the share's page."""
        given = safe_next(self.request, self.request.POST.get("next", ""))
        return given if urlsplit(given).path == self.org_url("shares") else self.request.path

    def reschedule(self, share: Share) -> HttpResponse:
        form = ShareRescheduleForm(self.request.POST, zone=member_time_zone(share.membership))
        return self.with_form(
            share,
            form,
            "reschedule_form",
            lambda data: share_reschedule(share=share, at=data["at"], by=self.actor),
            _("The share was rescheduled."),
        )

    def mark_posted(self, share: Share) -> HttpResponse:
        return self.with_form(
            share,
            MarkPostedForm(self.request.POST),
            "posted_form",
            lambda data: share_mark_posted_manually(share=share, url=data["url"], by=self.actor),
            _("Thank you: the share is marked as posted."),
        )

    def edit(self, share: Share) -> HttpResponse:
        return self.with_form(
            share,
            ShareTextForm(self.request.POST),
            "text_form",
            lambda data: share_update_text(share=share, text=data["text"], by=self.actor),
            _("The text was saved."),
        )

    def page(
        self, share: Share, *, error: str = "", status: int = 200, given: dict[str, forms.Form] | None = None
    ) -> HttpResponse:
        forms_given = given or {}
        share.refresh_from_db()
        attach_latest_metrics([share])
        reschedule_form = forms_given.get("reschedule_form") or ShareRescheduleForm(
            initial={"at": share.scheduled_at if share.scheduled_at and share.scheduled_at > timezone.now() else None},
            zone=member_time_zone(share.membership),
        )
        links = share_links(share)
        context = self.get_context_data(
            row=share_row(share, owner=self.owner, links=summarise_links(links)),
            owner=self.owner,
            links=links,
            clicks=_clicks_card(share, links),
            attempts=attempt_rows(share_attempts(share=share)),
            action_error=error,
            reschedule_form=reschedule_form,
            posted_form=forms_given.get("posted_form") or MarkPostedForm(),
            text_form=forms_given.get("text_form") or ShareTextForm(initial={"text": share.text}),
        )
        return self.render_to_response(context, status=status)


def _clicks_card(share: Share, links: list[TrackedLink]) -> dict[str, Any] | None:
    """The share's click totals and its counted clicks per day (last 30 days, in the zone the page is shown in);
    None when the share has no tracked link."""
    if not links:
        return None
    days = clicks_per_day(share, timezone.get_current_timezone())
    return {
        "clicks": sum(link.clicks for link in links),
        "unique": sum(link.unique_clicks for link in links),
        "filtered": sum(link.filtered_clicks for link in links),
        "days": days,
        "top": max((day.clicks for day in days), default=0),
    }


# --- Publishing settings -------------------------------------------------------------------------------------------


class PublishingSettingsView(ShareArea):
    """The organisation's X choices: through the API or not, the monthly budget, and this month's spend."""

    permission = "publishing.manage"
    template_name = "ambassadors/publishing_settings.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        settings = publishing_settings(organization=self.organization)
        initial = {"x_api_enabled": settings.x_api_enabled, "x_monthly_budget": settings.x_monthly_budget}
        return self.page(PublishingSettingsForm(initial=initial))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = PublishingSettingsForm(request.POST)
        if form.is_valid():
            try:
                publishing_settings_save(organization=self.organization, by=self.actor, **form.cleaned_data)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The publishing settings were saved."))
                return redirect(request.path)
        return self.page(form, status=400)

    def page(self, form: PublishingSettingsForm, status: int = 200) -> HttpResponse:
        context = self.get_context_data(form=form, spend=x_spend_summary(organization=self.organization))
        return self.render_to_response(context, status=status)


urlpatterns: list[URLPattern] = [
    path("shares/", ShareListView.as_view(), name="shares"),
    path("shares/new/", ShareCreateRedirectView.as_view(), name="share_create"),
    path("shares/<int:pk>/", ShareDetailView.as_view(), name="share_detail"),
    path("settings/publishing/", PublishingSettingsView.as_view(), name="publishing_settings"),
]
