"""Members and invitations of an organisation: list, invite, detail, role, suspend, reactivate, remove."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from advocacy import selectors, services
from advocacy.errors import ServiceError
from advocacy.forms import InviteForm, MemberFilterForm, RoleForm
from advocacy.models import Invitation, Membership
from advocacy.pagination import OneQueryPaginator
from advocacy.views.base import (
    ConfirmActionView,
    ForgivingListView,
    InvalidFormStatusMixin,
    OrganizationPermissionMixin,
    OrgUrlMixin,
    add_service_error,
)


class MemberListView(OrganizationPermissionMixin, ForgivingListView):
    permission = "members.view"
    template_name = "members/list.html"
    context_object_name = "members"
    paginate_by = 50

    paginator_class = OneQueryPaginator

    def get_queryset(self) -> QuerySet[Membership]:
        programmes = selectors.programme_choices(organization=self.organization)
        self.filter_form = MemberFilterForm(self.request.GET, programmes=programmes)
        return selectors.member_rows(organization=self.organization, **self.filter_form.filters())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "filter_form": self.filter_form,
            "invitations": selectors.pending_invitations(organization=self.organization),
            "can_manage": self.membership.has_perm("members.manage"),
        }


class MemberInviteView(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    permission = "members.manage"
    template_name = "members/invite.html"
    form_class = InviteForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "organization": self.organization}

    def form_valid(self, form: InviteForm) -> HttpResponse:
        try:
            result = services.invitation_create_many(
                organization=self.organization,
                inviter=self.actor,
                emails=form.valid_emails,
                role=form.cleaned_data["role"],
                programme=form.cleaned_data["programme"],
            )
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        result.invalid = form.invalid_emails
        # The addresses that could not be used come back in a fresh form, so nothing typed is lost.
        retry = InviteForm(
            initial={**form.cleaned_data, "emails": "\n".join(result.invalid)}, organization=self.organization
        )
        return render(self.request, "members/invite_result.html", {"result": result, "form": retry})


def _member(view: OrganizationPermissionMixin, pk: int) -> Membership:
    return get_object_or_404(
        selectors.member_list(organization=view.organization).select_related("organization"), pk=pk
    )


class MemberDetailView(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    permission = "members.view"
    template_name = "members/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        member = _member(self, self.kwargs["pk"])
        return {
            **super().get_context_data(**kwargs),
            "member": member,
            "role_form": kwargs.get("role_form") or RoleForm(initial={"role": member.role}),
            "can_manage": self.membership.has_perm("members.manage"),
        }


class MemberChangeRoleView(MemberDetailView):
    """Without JavaScript: redirect with a message, or the detail page with the refused form (400).
    With htmx: the role form fragment, with its message inline."""

    permission = "members.manage"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = _member(self, kwargs["pk"])
        form = RoleForm(request.POST)
        if form.is_valid():
            try:
                services.membership_change_role(membership=member, role=form.cleaned_data["role"], by=self.actor)
            except ServiceError as error:
                add_service_error(form, error)
        saved = form.is_valid()
        success = _("%(name)s now has the role “%(role)s”.") % {
            "name": member.user.display_name,
            "role": member.get_role_display(),
        }
        if request.htmx:  # type: ignore[attr-defined]
            context = {"member": member, "role_form": form, "saved_message": success if saved else ""}
            return render(request, "members/_role_form.html", context)
        if saved:
            messages.success(request, success)
            return redirect(self.org_url("member_detail", member.pk))
        return self.render_to_response(self.get_context_data(role_form=form), status=400)


class MemberStatusView(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    """Suspend or reactivate: reversible, so one button, no confirmation step."""

    permission = "members.manage"
    http_method_names = ["post"]
    suspend = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = _member(self, kwargs["pk"])
        name = member.user.display_name
        try:
            if self.suspend:
                services.membership_suspend(membership=member, by=self.actor)
                messages.success(request, _("%(name)s is suspended.") % {"name": name})
            else:
                services.membership_reactivate(membership=member, by=self.actor)
                messages.success(request, _("%(name)s is active again.") % {"name": name})
        except ServiceError as error:
            messages.error(request, error.message)
        if self.suspend and member.user_id == request.user.pk and not member.is_active:
            return redirect("home")  # who suspends themselves no longer sees the organisation
        return redirect(self.org_url("member_detail", member.pk))


class MemberRemoveView(ConfirmActionView):
    permission = "members.manage"

    def get_object(self) -> Membership:
        return _member(self, self.kwargs["pk"])

    def confirmation(self, obj: Membership) -> dict[str, str]:
        return {
            "title": _("Remove %(name)s from %(organization)s?")
            % {"name": obj.user.display_name, "organization": self.organization.name},
            "question": _(
                "They lose access to the organisation at once. Their account and their other organisations are "
                "kept. You can invite them again later."
            ),
            "button": _("Remove the member"),
            "cancel_url": self.org_url("member_detail", obj.pk),
        }

    def perform(self, obj: Membership) -> str:
        services.membership_remove(membership=obj, by=self.actor)
        return _("%(name)s was removed from the organisation.") % {"name": obj.user.display_name}

    def success_url(self, obj: Membership) -> str:
        if obj.user_id == self.request.user.pk:
            return reverse("home")
        return self.org_url("members")


class InvitationRevokeView(ConfirmActionView):
    permission = "members.manage"

    def get_object(self) -> Invitation:
        return get_object_or_404(selectors.pending_invitations(organization=self.organization), pk=self.kwargs["pk"])

    def confirmation(self, obj: Invitation) -> dict[str, str]:
        return {
            "title": _("Revoke the invitation of %(email)s?") % {"email": obj.email},
            "question": _("The link in the e-mail will stop working. You can invite this address again later."),
            "button": _("Revoke the invitation"),
            "cancel_url": self.org_url("members"),
        }

    def perform(self, obj: Invitation) -> str:
        services.invitation_revoke(invitation=obj, by=self.actor)
        return _("The invitation of %(email)s was revoked.") % {"email": obj.email}
