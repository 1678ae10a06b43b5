"""Compliance and incident pages: the organisation's (and programmes') rules, the "try a text" box with its live
check, and incidents — report, list, timeline, status, and withdrawing the post concerned."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from advocacy.errors import ServiceError
from advocacy.models import Programme
from advocacy.query import query_id
from advocacy.views.base import (
    ConfirmActionView,
    ForgivingListView,
    InvalidFormStatusMixin,
    OrganizationPermissionMixin,
    OrgUrlMixin,
    add_service_error,
)
from charter import incidents
from charter.compliance import (
    ShareDraft,
    Violation,
    compliance_check,
    rules_for,
    rules_for_member,
    rules_save,
    with_disclosure,
)
from charter.forms_rules import (
    DISCLOSURE_FIELDS,
    NETWORKS,
    IncidentFilterForm,
    IncidentNoteForm,
    IncidentReportForm,
    IncidentStatusForm,
    RulesForm,
    TryTextForm,
)
from charter.mixins import CharterRequiredMixin
from charter.models import ComplianceRules, Incident
from content.models import Post
from content.text import LIMITS, network_length


class RulesArea(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    """A page of this module: permission declared, organisation URLs, dates in the organisation's time zone."""


def disclosure_cost(rules: ComplianceRules, network: str) -> int:
    """How many characters the network's disclosure (and the blank line before it) adds to a text."""
    sample = "a"
    return network_length(network, with_disclosure(rules=rules, network=network, text=sample)) - len(sample)


def _disclosures(rules: ComplianceRules) -> list[dict[str, Any]]:
    return [
        {"network": network, "label": label, "cost": disclosure_cost(rules, network), "limit": LIMITS.get(network)}
        for network, label in NETWORKS
    ]


# --- Rules -------------------------------------------------------------------------------------------------------


class RulesView(RulesArea):
    """The organisation's rules (no ``pk``) or a programme's own; the first save of a programme creates its set."""

    permission = "compliance.manage"
    template_name = "charter/rules/rules.html"
    programme: Programme | None = None

    def load(self) -> None:
        """The programme page loads its programme here, once the permission was checked."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        rules = rules_for(organization=self.organization, programme=self.programme)
        form = RulesForm(initial=RulesForm.initial_from(rules), programme_rules=self.programme is not None)
        return self.page(form, rules)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        form = RulesForm(request.POST, programme_rules=self.programme is not None)
        if form.is_valid():
            try:
                rules_save(organization=self.organization, by=self.actor, programme=self.programme, **form.cleaned_data)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The rules were saved."))
                return redirect(request.path)
        rules = rules_for(organization=self.organization, programme=self.programme)
        return self.page(form, rules, status=400)

    def page(self, form: RulesForm, rules: ComplianceRules, status: int = 200) -> HttpResponse:
        context = self.get_context_data(
            form=form,
            programme=self.programme,
            own_rules=self.programme is None or rules.programme_id == self.programme.pk,
            disclosure_fields=[form[DISCLOSURE_FIELDS[network]] for network, _label in NETWORKS],
            disclosures=_disclosures(rules),
            programmes=self.programmes() if self.programme is None else None,
        )
        return self.render_to_response(context, status=status)

    def programmes(self) -> QuerySet[Programme]:
        own = ComplianceRules.objects.filter(organization=self.organization, programme=OuterRef("pk"))
        return Programme.objects.filter(organization=self.organization).annotate(has_rules=Exists(own))


class ProgrammeRulesView(RulesView):
    model = Programme

    def load(self) -> None:
        self.programme = get_object_or_404(
            Programme.objects.filter(organization=self.organization), pk=self.kwargs["pk"]
        )


# --- Try a text --------------------------------------------------------------------------------------------------


def highlight(text: str, violations: list[Violation]) -> SafeString:
    """``text`` escaped, with each located violation (a blocked phrase, a link) wrapped in ``<mark>``."""
    spans = sorted({(v.start, v.end) for v in violations if v.start is not None and v.end is not None})
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        if start < position:  # overlapping spans: the first one is already marked
            continue
        pieces.append(conditional_escape(text[position:start]))
        pieces.append(format_html("<mark>{}</mark>", text[start:end]))
        position = end
    pieces.append(conditional_escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece was escaped above


class TryTextView(OrganizationPermissionMixin, CharterRequiredMixin, OrgUrlMixin, TemplateView):
    """Check a text against the rules as a share would be checked; htmx posts on input and gets the result only."""

    permission = "organization.view"
    template_name = "charter/rules/try.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(TryTextForm(initial={"network": "linkedin"}))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = TryTextForm(request.POST)
        result = self.check(form) if form.is_valid() else None
        if request.htmx:  # type: ignore[attr-defined]
            # 200 even when the text is empty: htmx swaps only successful answers, and an empty box is no error.
            return self.response_class(request, "charter/rules/_try_result.html", {"form": form, "result": result})
        return self.page(form, result, status=200 if form.is_valid() else 400)

    def check(self, form: TryTextForm) -> dict[str, Any]:
        network, text = form.cleaned_data["network"], form.cleaned_data["text"]
        violations = compliance_check(ShareDraft(membership=self.membership, network=network, text=text))
        rules = rules_for_member(membership=self.membership)
        full = with_disclosure(rules=rules, network=network, text=text)
        return {
            "violations": violations,
            "highlighted": highlight(text, violations),
            "disclosure": full[len(text.rstrip()) :].strip() if full != text else "",
            "length": network_length(network, full),
            "limit": LIMITS.get(network),
        }

    def page(self, form: TryTextForm, result: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
        rules = rules_for_member(membership=self.membership)
        networks = []
        for network, label in NETWORKS:
            limit = LIMITS.get(network)
            # The counter counts what will be posted: the room left for the text is the limit minus the disclosure.
            room = None if limit is None else limit - disclosure_cost(rules, network)
            networks.append({"value": network, "label": label, "room": room})
        selected = form["network"].value() or "linkedin"
        context = self.get_context_data(
            form=form,
            result=result,
            networks=networks,
            selected=next((n for n in networks if n["value"] == selected), networks[0]),
        )
        return self.render_to_response(context, status=status)


# --- Incidents ---------------------------------------------------------------------------------------------------


class IncidentListView(OrgUrlMixin, OrganizationPermissionMixin, ForgivingListView):
    """Managers of incidents see them all; every other member sees the ones they reported."""

    permission = "incidents.report"
    template_name = "charter/rules/incidents.html"
    context_object_name = "incidents"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Incident]:
        self.filter_form = IncidentFilterForm(self.request.GET)
        status = self.filter_form.value("status", "")
        found = incidents.incident_list(organization=self.organization, status=status)
        return found if self.manages else found.filter(reported_by=self.actor)

    @property
    def manages(self) -> bool:
        return self.membership.has_perm("incidents.manage")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            response.status_code = 400
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "filter_form": self.filter_form, "manages": self.manages}


class IncidentReportView(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    permission = "incidents.report"
    template_name = "charter/rules/incident_report.html"
    form_class = IncidentReportForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "membership": self.membership}

    def get_initial(self) -> dict[str, Any]:
        # A "report" link next to a post can name it: ?post=<id>.
        post = query_id(self.request.GET, "post")
        return {"post": post} if post is not None else {}

    def form_valid(self, form: IncidentReportForm) -> HttpResponse:
        try:
            incident = incidents.incident_report(organization=self.organization, by=self.actor, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Thank you. The referent and the administrators have been told."))
        return redirect(self.org_url("incident_detail", incident.pk))


def _incident(view: OrganizationPermissionMixin, pk: int) -> Incident:
    """The incident, if this member may see it: managers every one, a member the ones they reported."""
    found = Incident.objects.filter(organization=view.organization).select_related("reported_by", "post")
    incident = get_object_or_404(found, pk=pk)
    if not view.membership.has_perm("incidents.manage") and incident.reported_by_id != view.membership.user_id:
        raise PermissionDenied
    return incident


def _withdrawable(incident: Incident) -> bool:
    return incident.post is not None and incident.post.status == Post.Status.APPROVED


def withdraw_wording(incident: Incident) -> dict[str, str]:
    """What withdrawing the incident's post asks, on its confirmation page and in the incident page's dialog."""
    title = incident.post.title if incident.post is not None else ""
    return {
        "title": _("Withdraw the post “%(title)s”") % {"title": title},
        "question": _(
            "The post leaves every feed at once and can no longer be shared. The referent, the administrators "
            "and its author are told. Withdraw it?"
        ),
        "button": _("Withdraw the post"),
    }


class IncidentDetailView(RulesArea):
    """The timeline; managers change the status (with a note); managers and the reporter add notes."""

    permission = "incidents.report"
    template_name = "charter/rules/incident_detail.html"
    model = Incident

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(_incident(self, self.kwargs["pk"]))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        incident = _incident(self, self.kwargs["pk"])
        if request.POST.get("action") == "status":
            if not self.membership.has_perm("incidents.manage"):
                raise PermissionDenied
            return self.change_status(incident)
        form = IncidentNoteForm(request.POST)
        if form.is_valid():
            try:
                incidents.incident_add_note(incident=incident, by=self.actor, text=form.cleaned_data["text"])
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Your note was added to the timeline."))
                return redirect(request.path)
        return self.page(incident, note_form=form, status=400)

    def change_status(self, incident: Incident) -> HttpResponse:
        form = IncidentStatusForm(self.request.POST)
        if form.is_valid():
            try:
                incidents.incident_set_status(incident=incident, by=self.actor, **form.cleaned_data)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(self.request, _("The status was changed."))
                return redirect(self.request.path)
        return self.page(incident, status_form=form, status=400)

    def page(
        self,
        incident: Incident,
        *,
        status_form: IncidentStatusForm | None = None,
        note_form: IncidentNoteForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        manages = self.membership.has_perm("incidents.manage")
        events = [
            {"event": event, "label": incidents.incident_event_label(event.kind)}
            for event in incident.events.select_related("actor")
        ]
        context = self.get_context_data(
            incident=incident,
            events=events,
            manages=manages,
            status_form=status_form or IncidentStatusForm(initial={"status": incident.status}),
            note_form=note_form or IncidentNoteForm(),
            can_withdraw=manages and _withdrawable(incident),
            withdraw=withdraw_wording(incident),
        )
        return self.render_to_response(context, status=status)


class IncidentWithdrawView(ConfirmActionView):
    """Withdraw the post the incident names: it leaves every feed at once (``incident_withdraw_post``)."""

    permission = "incidents.manage"
    model = Incident

    def get_object(self) -> Incident:
        return _incident(self, self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        incident = self.get_object()
        if not _withdrawable(incident):
            messages.info(request, _("This incident names no approved post: there is nothing to withdraw."))
            return redirect(self.org_url("incident_detail", incident.pk))
        return self.render_to_response(self.confirmation(incident))

    def confirmation(self, obj: Incident) -> dict[str, str]:
        return {**withdraw_wording(obj), "cancel_url": self.org_url("incident_detail", obj.pk)}

    def perform(self, obj: Incident) -> str:
        post = incidents.incident_withdraw_post(incident=obj, by=self.actor)
        return _("“%(title)s” was withdrawn from every feed.") % {"title": post.title}


urlpatterns: list[URLPattern] = [
    path("compliance/", RulesView.as_view(), name="compliance_rules"),
    path("compliance/programmes/<int:pk>/", ProgrammeRulesView.as_view(), name="compliance_programme_rules"),
    path("compliance/try/", TryTextView.as_view(), name="compliance_try"),
    path("incidents/", IncidentListView.as_view(), name="incidents"),
    path("incidents/new/", IncidentReportView.as_view(), name="incident_report"),
    path("incidents/<int:pk>/", IncidentDetailView.as_view(), name="incident_detail"),
    path("incidents/<int:pk>/withdraw/", IncidentWithdrawView.as_view(), name="incident_withdraw"),
]
