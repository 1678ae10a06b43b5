"""A member's notifications, under /o/<org>/ (the scope middleware applies): the list, opening one (marks it read and
follows its link, only ever to a page of ours), "mark all as read", and how they hear from Relais (the digest and
nudges). Another member's notification is a 404. The one-click unsubscribe of the digest e-mail, outside /o/<org>/
and without signing in, is here too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.generic import TemplateView, View

from advocacy.errors import ServiceError
from advocacy.tenancy import organization_scope
from advocacy.views.base import ForgivingListView, OrganizationPermissionMixin, OrgUrlMixin, add_service_error
from ambassadors.models import DigestFrequency, Notification
from ambassadors.selectors import member_notifications
from ambassadors.services.digests import digest_preferences_save, digest_unsubscribe, unsubscribe_membership
from ambassadors.services.notifications import local_url, notification_mark_read, notifications_mark_all_read
from ambassadors.services.profiles import profile_for
from ambassadors.views.shares import MemberTimeZoneMixin
from analytics.forms import WeeklySummaryForm
from analytics.summaries import weekly_summary_for

# Every member has it: notifications are each member's own.
PERMISSION = "organization.view"
WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]


class NotificationListView(OrgUrlMixin, OrganizationPermissionMixin, MemberTimeZoneMixin, ForgivingListView):
    permission = PERMISSION
    template_name = "ambassadors/notifications.html"
    context_object_name = "notifications"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Notification]:
        return member_notifications(membership=self.membership)


class NotificationOpenView(OrgUrlMixin, OrganizationPermissionMixin, View):
    """POST only: opening marks it read, then follows its link (a path of ours) or comes back to the list."""

    permission = PERMISSION
    http_method_names = ["post"]

    def post(self, request: HttpRequest, org: str, pk: int) -> HttpResponse:
        notification = member_notifications(membership=self.membership).filter(pk=pk).first()
        if notification is None:
            raise Http404
        notification_mark_read(notification=notification)
        return redirect(local_url(notification.url) or self.org_url("notifications"))


class NotificationsReadAllView(OrgUrlMixin, OrganizationPermissionMixin, View):
    permission = PERMISSION
    http_method_names = ["post"]

    def post(self, request: HttpRequest, org: str) -> HttpResponse:
        notifications_mark_all_read(membership=self.membership)
        messages.success(request, _("All your notifications are marked as read."))
        return redirect(self.org_url("notifications"))


class NotificationSettingsForm(forms.Form):
    digest_frequency = forms.ChoiceField(label=gettext_lazy("Digest of new posts"), choices=DigestFrequency.choices)
    digest_hour = forms.IntegerField(
        label=gettext_lazy("Hour"),
        min_value=0,
        max_value=23,
        help_text=gettext_lazy("From 0 to 23, in your own time zone."),
    )
    digest_weekday = forms.TypedChoiceField(
        label=gettext_lazy("Day (weekly digest)"), choices=WEEKDAYS, coerce=int, initial=0
    )
    nudges = forms.BooleanField(
        label=gettext_lazy("Tell me when colleagues share"),
        required=False,
        help_text=gettext_lazy("A reaction or a comment in the first hour helps a colleague's post the most."),
    )
    nudges_in_digest = forms.BooleanField(label=gettext_lazy("Also in my digest"), required=False)


class NotificationSettingsView(OrgUrlMixin, OrganizationPermissionMixin, MemberTimeZoneMixin, TemplateView):
    permission = PERMISSION
    template_name = "ambassadors/notifications_settings.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        profile = profile_for(membership=self.membership)
        initial = {name: getattr(profile, name) for name in NotificationSettingsForm.base_fields}
        return self.page(NotificationSettingsForm(initial=initial))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            try:
                digest_preferences_save(
                    profile=profile_for(membership=self.membership), by=self.actor, **form.cleaned_data
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Your notification settings were saved."))
                return redirect(request.path)
        return self.page(form, status=400)

    def page(self, form: NotificationSettingsForm, status: int = 200) -> HttpResponse:
        profile = profile_for(membership=self.membership)
        context = self.get_context_data(form=form, profile=profile)
        if self.membership.has_perm("analytics.view"):
            summary = weekly_summary_for(membership=self.membership)
            context["weekly_summary"] = summary
            context["weekly_summary_form"] = WeeklySummaryForm(initial={"enabled": summary.enabled})
        return self.render_to_response(context, status=status)


urlpatterns: list[URLPattern] = [
    path("notifications/", NotificationListView.as_view(), name="notifications"),
    path("notifications/read-all/", NotificationsReadAllView.as_view(), name="notifications_read_all"),
    path("notifications/settings/", NotificationSettingsView.as_view(), name="notification_settings"),
    path("notifications/<int:pk>/open/", NotificationOpenView.as_view(), name="notification_open"),
]


# --- One-click unsubscribe (outside /o/<org>/, no sign-in) ---------------------------------------------------------


# A mail client's one-click POST (RFC 8058) carries no CSRF token; the signed token in the path is the credential,
# and all it can do is turn one member's digest off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    membership = unsubscribe_membership(token)
    if membership is None:
        return render(request, "unsubscribe_invalid.html", status=404)
    language = membership.reading_language()
    with organization_scope(membership.organization), translation.override(language):
        done = False
        if request.method == "POST":
            digest_unsubscribe(membership=membership)
            done = True
        response = render(
            request,
            "unsubscribe.html",
            {"membership": membership, "organization": membership.organization, "done": done, "language": language},
        )
    return response
