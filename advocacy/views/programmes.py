"""Programmes of an organisation: list, create, edit, delete, and their members.

Changing a programme's members is allowed to organisation admins and to that programme's own admins, whatever
their role: an object-level check (``selectors.programme_access``) on top of the declared permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView

from advocacy import selectors, services
from advocacy.errors import ServiceError
from advocacy.forms import ProgrammeForm, ProgrammeMemberAddForm
from advocacy.models import Programme, ProgrammeMember
from advocacy.views.base import (
    ConfirmActionView,
    InvalidFormStatusMixin,
    OrganizationPermissionMixin,
    OrgUrlMixin,
    add_service_error,
)


class ProgrammeListView(OrganizationPermissionMixin, ListView):  # type: ignore[type-arg]
    permission = "programmes.view"
    template_name = "programmes/list.html"
    context_object_name = "programmes"

    def get_queryset(self) -> QuerySet[Programme]:
        return selectors.programme_list(organization=self.organization)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "can_manage": self.membership.has_perm("programmes.manage")}


class ProgrammeObjectMixin(OrgUrlMixin, OrganizationPermissionMixin):
    kwargs: dict[str, Any]

    def get_programme(self) -> Programme:
        if not hasattr(self, "_programme"):
            self._programme: Programme = get_object_or_404(
                Programme.objects.filter(organization=self.organization).select_related("organization"),
                pk=self.kwargs["pk"],
            )
        return self._programme


class ProgrammeCreateView(ProgrammeObjectMixin, InvalidFormStatusMixin, FormView):  # type: ignore[type-arg]
    permission = "programmes.manage"
    template_name = "programmes/form.html"
    form_class = ProgrammeForm

    def form_valid(self, form: ProgrammeForm) -> HttpResponse:
        try:
            programme = services.programme_create(organization=self.organization, by=self.actor, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The programme “%(name)s” was created.") % {"name": programme.name})
        return redirect(self.org_url("programme_detail", programme.pk))


class ProgrammeEditView(ProgrammeCreateView):
    def get_initial(self) -> dict[str, Any]:
        programme = self.get_programme()
        return {
            "name": programme.name,
            "slug": programme.slug,
            "description": programme.description,
            "open_to_volunteers": programme.open_to_volunteers,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "programme": self.get_programme()}

    def form_valid(self, form: ProgrammeForm) -> HttpResponse:
        programme = self.get_programme()
        try:
            services.programme_update(programme=programme, by=self.actor, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The programme “%(name)s” was saved.") % {"name": programme.name})
        return redirect(self.org_url("programme_detail", programme.pk))


class ProgrammeDeleteView(ProgrammeObjectMixin, ConfirmActionView):
    permission = "programmes.manage"

    def get_object(self) -> Programme:
        return self.get_programme()

    def confirmation(self, obj: Programme) -> dict[str, str]:
        return {
            "title": _("Delete the programme “%(name)s”?") % {"name": obj.name},
            "question": _("Its members stay in the organisation; only the programme and its list of members go."),
            "button": _("Delete the programme"),
            "cancel_url": self.org_url("programme_detail", obj.pk),
        }

    def perform(self, obj: Programme) -> str:
        name = obj.name
        services.programme_delete(programme=obj, by=self.actor)
        return _("The programme “%(name)s” was deleted.") % {"name": name}

    def success_url(self, obj: Programme) -> str:
        return self.org_url("programmes")


class ProgrammeAccessMixin(ProgrammeObjectMixin):
    """Everyone passes the declared permission; the programme itself decides (role table or programme admin)."""

    permission = "organization.view"
    need = "can_view"

    def access(self) -> selectors.ProgrammeAccess:
        access = selectors.programme_access(membership=self.membership, programme=self.get_programme())
        if not getattr(access, self.need):
            raise PermissionDenied
        return access


class ProgrammeDetailView(ProgrammeAccessMixin, TemplateView):
    template_name = "programmes/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        access = self.access()
        programme = self.get_programme()
        add_form = kwargs.get("add_form")
        if add_form is None and access.can_manage_members:
            add_form = ProgrammeMemberAddForm(programme=programme)
        return {
            **super().get_context_data(**kwargs),
            "programme": programme,
            "links": selectors.programme_links(programme=programme),
            "access": access,
            "add_form": add_form,
            "can_list": self.membership.has_perm("programmes.view"),
        }


class ProgrammeMemberAddView(ProgrammeDetailView):
    """Add a member of this organisation; an id that is not one of the offered members is refused with 400."""

    need = "can_manage_members"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.access()
        programme = self.get_programme()
        form = ProgrammeMemberAddForm(request.POST, programme=programme)
        if form.is_valid():
            member = form.cleaned_data["membership"]
            try:
                services.programme_set_member(
                    programme=programme, membership=member, is_admin=form.cleaned_data["is_admin"], by=self.actor
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s joined “%(programme)s”.") % {"name": member.user.display_name, "programme": programme},
                )
                return redirect(self.org_url("programme_detail", programme.pk))
        return self.render_to_response(self.get_context_data(add_form=form), status=400)


class ProgrammeLinkMixin(ProgrammeAccessMixin):
    need = "can_manage_members"

    def get_link(self) -> ProgrammeMember:
        programme = self.get_programme()
        return get_object_or_404(
            selectors.programme_links(programme=programme).select_related("programme"),
            membership_id=self.kwargs["member_pk"],
        )


class ProgrammeMemberAdminView(ProgrammeLinkMixin, TemplateView):
    """Make a programme member one of its admins, or not (``is_admin`` = ``1`` or ``0``)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.access()
        link = self.get_link()
        is_admin = request.POST.get("is_admin") == "1"
        services.programme_set_member(
            programme=link.programme, membership=link.membership, is_admin=is_admin, by=self.actor
        )
        name = link.membership.user.display_name
        if is_admin:
            messages.success(request, _("%(name)s is now an admin of this programme.") % {"name": name})
        else:
            messages.success(request, _("%(name)s is no longer an admin of this programme.") % {"name": name})
        return redirect(self.org_url("programme_detail", link.programme_id))


class ProgrammeMemberRemoveView(ProgrammeLinkMixin, ConfirmActionView):
    def get_object(self) -> ProgrammeMember:
        self.access()
        return self.get_link()

    def confirmation(self, obj: ProgrammeMember) -> dict[str, str]:
        return {
            "title": _("Remove %(name)s from “%(programme)s”?")
            % {"name": obj.membership.user.display_name, "programme": obj.programme.name},
            "question": _("They stay a member of the organisation."),
            "button": _("Remove from the programme"),
            "cancel_url": self.org_url("programme_detail", obj.programme_id),
        }

    def perform(self, obj: ProgrammeMember) -> str:
        services.programme_remove_member(programme=obj.programme, membership=obj.membership, by=self.actor)
        return _("%(name)s left “%(programme)s”.") % {
            "name": obj.membership.user.display_name,
            "programme": obj.programme.name,
        }
