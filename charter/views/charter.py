"""The charter and training pages: reading the charter, joining the programme (accepting it) or leaving it, writing
and publishing a new version, the acceptance report, and the training modules with their quizzes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from advocacy.errors import ServiceError
from advocacy.models import Membership
from advocacy.views.base import (
    ConfirmActionView,
    OrganizationPermissionMixin,
    OrgUrlMixin,
    add_service_error,
    safe_next,
)
from charter import selectors, services
from charter.forms import (
    AcceptForm,
    CharterDraftForm,
    QuizForm,
    ReportFilterForm,
    TrainingModuleForm,
    format_quiz,
)
from charter.markdown import render_markdown
from charter.models import CharterVersion, TrainingCompletion, TrainingModule

REPORT_PAGE_SIZE = 100


class CharterPage(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    permission = "organization.view"


class CharterView(CharterPage):
    template_name = "charter/charter.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        status = selectors.charter_status(membership=self.membership)
        return {
            **super().get_context_data(**kwargs),
            "status": status,
            "body": render_markdown(status.current.body) if status.current else "",
            "versions": selectors.charter_versions(organization=self.organization),
            "can_leave": status.acceptance is not None and status.acceptance.left_at is None,
            "leave": leave_wording(),
        }


class CharterVersionView(CharterPage):
    template_name = "charter/version.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        versions = selectors.charter_versions(organization=self.organization)
        if self.membership.has_perm("charter.manage"):  # who writes the charter may also read its drafts
            versions = CharterVersion.objects.filter(organization=self.organization)
        version = get_object_or_404(versions, pk=self.kwargs["pk"])
        current = selectors.charter_current(organization=self.organization)
        return {
            **super().get_context_data(**kwargs),
            "version": version,
            "body": render_markdown(version.body),
            "is_current": current is not None and current.pk == version.pk,
        }


class CharterJoinView(CharterPage):
    """The opt-in: what joining means, the changes since the version the member accepted, the text, one checkbox."""

    template_name = "charter/join.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = AcceptForm(initial={"next": safe_next(request, request.GET.get("next", ""))})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = AcceptForm(request.POST)
        status = selectors.charter_status(membership=self.membership)
        if form.is_valid() and status.current is not None:
            try:
                services.charter_accept(
                    membership=self.membership,
                    version=status.current,
                    ip=request.META.get("REMOTE_ADDR", ""),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Welcome to the programme: you accepted the charter and can now share."))
                return redirect(safe_next(request, form.cleaned_data["next"]) or self.org_url("charter"))
        return self.render_to_response(self.get_context_data(form=form, status=status), status=400)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        status = kwargs.pop("status", None) or selectors.charter_status(membership=self.membership)
        accepted = status.acceptance.version if status.acceptance else None
        return {
            **super().get_context_data(**kwargs),
            "status": status,
            "body": render_markdown(status.current.body) if status.current else "",
            # The change summary matters to whoever accepted an older version (or left and comes back).
            "show_changes": status.current is not None
            and accepted is not None
            and accepted.pk != status.current.pk
            and bool(status.current.summary_of_changes),
            "accepted_version": accepted,
        }


def leave_wording() -> dict[str, str]:
    """What leaving asks, on its confirmation page and in the charter page's dialog alike."""
    return {
        "title": _("Leave the ambassador programme?"),
        "question": _(
            "Your scheduled shares will be cancelled and you will no longer be able to share. What you already "
            "posted stays on your accounts. You stay a member of the organisation and can join again at any time."
        ),
        "button": _("Leave the programme"),
    }


class CharterLeaveView(ConfirmActionView):
    permission = "organization.view"

    def get_object(self) -> Membership:
        return self.membership

    def confirmation(self, obj: Membership) -> dict[str, str]:
        return {**leave_wording(), "cancel_url": self.org_url("charter")}

    def perform(self, obj: Membership) -> str:
        services.charter_leave(membership=obj, by=self.actor)
        return _("You left the ambassador programme. Your scheduled shares were cancelled.")


def _latest_draft(view: CharterPage) -> CharterVersion | None:
    return (
        CharterVersion.objects.filter(organization=view.organization, status=CharterVersion.Status.DRAFT)
        .order_by("-created_at", "-pk")
        .first()
    )


class CharterEditView(CharterPage):
    """One draft at a time. Buttons: save, preview (htmx or a full page), start from the template, publish (which
    asks for confirmation first, carrying what was typed). Every refusal answers 400 with everything typed."""

    permission = "charter.manage"
    template_name = "charter/edit.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        draft = _latest_draft(self)
        source = draft or selectors.charter_current(organization=self.organization)
        initial: dict[str, Any] = {"requires_reacceptance": True}
        if source is not None:
            # A new version starts from the current text; its summary of changes is the admin's to write.
            initial.update(title=source.title, body=source.body)
        if draft is not None:
            initial.update(summary_of_changes=draft.summary_of_changes)
            initial.update(requires_reacceptance=draft.requires_reacceptance)
        return self.render_editor(CharterDraftForm(initial=initial), draft)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "save")
        draft = _latest_draft(self)
        if action == "seed":
            services.charter_seed_template(organization=self.organization, by=self.actor)
            messages.success(request, _("The draft now holds the template: adapt it to your organisation."))
            return redirect(self.org_url("charter_edit"))
        form = CharterDraftForm(request.POST)
        if action == "preview":
            preview = render_markdown(request.POST.get("body", ""))
            if request.htmx:  # type: ignore[attr-defined]
                return render(request, "charter/_preview.html", {"preview": preview})
            return self.render_editor(form, draft, preview=preview)
        if action == "publish":
            form.fields["body"].required = True  # a draft may be empty; a published charter may not
        if not form.is_valid():
            return self.render_editor(form, draft, status=400)
        try:
            draft = services.charter_draft_save(
                organization=self.organization, by=self.actor, version=draft, **form.cleaned_data
            )
            if action != "publish":
                messages.success(request, _("The draft was saved. Members see it once you publish it."))
                return redirect(self.org_url("charter_edit"))
            if "confirm" not in request.POST:
                context = {"form": form, "draft": draft, "preview": render_markdown(draft.body)}
                return render(request, "charter/publish_confirm.html", context)
            version = services.charter_publish(version=draft, by=self.actor)
        except ServiceError as error:
            add_service_error(form, error)
            return self.render_editor(form, draft, status=400)
        messages.success(request, _("Version %(number)s of the charter is published.") % {"number": version.number})
        return redirect(self.org_url("charter"))

    def render_editor(self, form: CharterDraftForm, draft: CharterVersion | None, **kwargs: Any) -> HttpResponse:
        status = kwargs.pop("status", 200)
        context = self.get_context_data(form=form, draft=draft, **kwargs)
        return self.render_to_response(context, status=status)


class CharterReportView(CharterPage):
    permission = "charter.report"
    template_name = "charter/report.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        versions = selectors.charter_versions(organization=self.organization)
        form = ReportFilterForm(self.request.GET, versions=versions)
        version = form.value("version")
        counts = selectors.acceptance_counts(organization=self.organization, version=version)
        state, search = form.value("state", ""), form.value("q", "")
        members = selectors.report_members(organization=self.organization, version=version, state=state, search=search)
        page = Paginator(members, REPORT_PAGE_SIZE).get_page(self.request.GET.get("page"))
        return {
            **super().get_context_data(**kwargs),
            "filter_form": form,
            "rows": selectors.acceptance_rows(page.object_list),
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "counts": [(selectors.STATE_LABELS[s], n) for s, n in counts.items() if n],
            "to_remind": sum(counts[s] for s in selectors.STATES_TO_REMIND),
            "can_remind": self.membership.has_perm("charter.manage"),
        }


class CharterRemindView(CharterPage):
    permission = "charter.manage"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            sent = services.charter_send_reminders(organization=self.organization, by=self.actor)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Reminders sent: %(count)s.") % {"count": sent})
        return redirect(self.org_url("charter_report"))


class CharterReportCsvView(CharterPage):
    permission = "charter.report"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Built in full, not streamed: a streaming body is read after the middleware has left the tenant scope,
        # and the scoped manager would refuse every query then.
        body = "".join(selectors.acceptance_report_csv(organization=self.organization))
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="charter-acceptances-{self.organization.slug}.csv"'
        return response


def _visible_modules(view: CharterPage) -> QuerySet[TrainingModule]:
    modules = selectors.training_modules(organization=view.organization)
    return modules if view.membership.has_perm("charter.manage") else modules.filter(published=True)


class TrainingListView(CharterPage):
    template_name = "charter/training.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        modules = list(_visible_modules(self))
        done = set(
            TrainingCompletion.objects.filter(organization=self.organization, membership=self.membership).values_list(
                "module_id", flat=True
            )
        )
        levels = [
            (label, [(module, module.pk in done) for module in modules if module.level == level])
            for level, label in TrainingModule.Level.choices
        ]
        return {
            **super().get_context_data(**kwargs),
            "levels": levels,
            "any_module": bool(modules),
            "can_manage": self.membership.has_perm("charter.manage"),
        }


class TrainingModuleView(CharterPage):
    template_name = "charter/training_module.html"

    def get_module(self) -> TrainingModule:
        return get_object_or_404(_visible_modules(self), pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        module = self.get_module()
        return self.render_module(module, QuizForm(quiz=module.quiz))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        module = self.get_module()
        form = QuizForm(request.POST, quiz=module.quiz)
        if form.is_valid():
            try:
                services.training_complete(module=module, membership=self.membership, answers=form.answers())
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("“%(title)s” is done.") % {"title": module.title})
                return redirect(self.org_url("training"))
        return self.render_module(module, form, status=400)

    def render_module(self, module: TrainingModule, form: QuizForm, status: int = 200) -> HttpResponse:
        done = TrainingCompletion.objects.filter(
            organization=self.organization, membership=self.membership, module=module
        ).exists()
        context = self.get_context_data(module=module, body=render_markdown(module.body), form=form, done=done)
        return self.render_to_response(context, status=status)


class TrainingEditView(CharterPage):
    """Create (no ``pk``) or edit a module; the quiz is typed as plain text (see ``charter.forms.QUIZ_HELP``)."""

    permission = "charter.manage"
    template_name = "charter/training_edit.html"

    def get_module(self) -> TrainingModule | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(selectors.training_modules(organization=self.organization), pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        module = self.get_module()
        initial = {}
        if module is not None:
            fields = ("title", "level", "body", "position", "published")
            initial = {name: getattr(module, name) for name in fields} | {"quiz": format_quiz(module.quiz)}
        return self.render_to_response(self.get_context_data(form=TrainingModuleForm(initial=initial), module=module))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        module = self.get_module()
        form = TrainingModuleForm(request.POST)
        if form.is_valid():
            try:
                saved = services.training_module_save(
                    organization=self.organization, by=self.actor, module=module, **form.cleaned_data
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The module “%(title)s” was saved.") % {"title": saved.title})
                return redirect(self.org_url("training_module", saved.pk))
        return self.render_to_response(self.get_context_data(form=form, module=module), status=400)


urlpatterns = [
    path("charter/", CharterView.as_view(), name="charter"),
    path("charter/versions/<int:pk>/", CharterVersionView.as_view(), name="charter_version"),
    path("charter/accept/", CharterJoinView.as_view(), name="charter_join"),
    path("charter/leave/", CharterLeaveView.as_view(), name="charter_leave"),
    path("charter/edit/", CharterEditView.as_view(), name="charter_edit"),
    path("charter/report/", CharterReportView.as_view(), name="charter_report"),
    path("charter/report/remind/", CharterRemindView.as_view(), name="charter_remind"),
    path("charter/report/csv/", CharterReportCsvView.as_view(), name="charter_report_csv"),
    path("training/", TrainingListView.as_view(), name="training"),
    path("training/new/", TrainingEditView.as_view(), name="training_edit"),
    path("training/<int:pk>/", TrainingModuleView.as_view(), name="training_module"),
    path("training/<int:pk>/edit/", TrainingEditView.as_view(), name="training_edit"),
]
