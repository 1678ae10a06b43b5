"""The review side of the comms workspace: the approval inbox and decision page, approval policies, the editorial
calendar, suggestions from the field and the RSS/Atom feed sources."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from advocacy.errors import ServiceError
from advocacy.views.base import (
    ConfirmActionView,
    ForgivingListView,
    InvalidFormStatusMixin,
    OrganizationPermissionMixin,
    OrgUrlMixin,
    add_service_error,
)
from content import feeds, selectors, services
from content.forms_review import (
    CalendarFilterForm,
    DecisionForm,
    DeclineForm,
    FeedSourceForm,
    PolicyForm,
    RescheduleForm,
    StepFormSet,
    SuggestForm,
)
from content.models import ApprovalDecision, ApprovalPolicy, FeedSource, Post, Suggestion
from content.tasks import poll_feed_source
from content.views.library import diff_label


class ReviewPage(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    """A page of this module: permission declared, organisation URLs, organisation time."""


class ReviewFormPage(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    """The same for a page with one form; an invalid form answers 400 with everything typed kept."""


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return default


# --- Approvals ---------------------------------------------------------------------------------------------------


class ApprovalInboxView(OrgUrlMixin, OrganizationPermissionMixin, ForgivingListView):
    """Approvers, and any member named on a step, see the posts waiting for their decision."""

    permission = "organization.view"
    template_name = "content/review/approvals.html"
    context_object_name = "posts"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Post]:
        return selectors.approval_inbox(membership=self.membership)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A member without the approver role is let in only while a step names them.
        if not self.membership.has_perm("content.approve") and not self.get_queryset().exists():
            raise PermissionDenied
        return super().get(request, *args, **kwargs)


def _seen(post: Post) -> dict[str, Any]:
    """What the approver sees on the page, sent back with the decision."""
    return {"revision": post.revision, "step": post.current_step_id}


class ApprovalDecideView(ReviewPage):
    """One post under review: content, diff since the last approval, history, and the three decisions.

    Each decision form carries the revision the approver saw; the service refuses a stale one."""

    permission = "organization.view"
    template_name = "content/review/decide.html"
    model = Post

    def get_post(self) -> Post:
        try:
            return selectors.post_detail(membership=self.membership, pk=self.kwargs["post_pk"])
        except Post.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.get_post()
        can_decide = selectors.can_decide(membership=self.membership, post=post)
        reviewers = self.membership.has_perm("content.approve") or self.membership.has_perm("content.edit")
        if not (can_decide or reviewers):
            raise PermissionDenied
        return self.page(post, can_decide=can_decide)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.get_post()
        # Approvers get past this line even when the step moved on since their page loaded, so the service can
        # tell them who decided; whether they may decide this step is the service's call (``not_approver``).
        if not (
            self.membership.has_perm("content.approve") or selectors.can_decide(membership=self.membership, post=post)
        ):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in DecisionForm.ACTIONS:
            return self.page(post, can_decide=True, alert=_("Choose approve, request changes or reject."), status=400)
        form = DecisionForm(request.POST, action=action)
        if not form.is_valid():
            return self.page(post, can_decide=True, forms={action: form}, status=400)
        try:
            self.decide(post, action, form.cleaned_data)
        except ServiceError as error:
            if error.code == "not_approver":
                raise PermissionDenied(error.message) from error
            return self.refused(action, form, error)
        messages.success(request, _("Your decision on “%(title)s” was recorded.") % {"title": post.title})
        return redirect(self.org_url("approvals"))

    def decide(self, post: Post, action: str, data: dict[str, Any]) -> None:
        seen = {"post": post, "by": self.actor, "revision": data["revision"], "step": data["step"]}
        if action == DecisionForm.APPROVE:
            services.post_approve(**seen, comment=data["text"])
        elif action == DecisionForm.REQUEST_CHANGES:
            services.post_request_changes(**seen, note=data["text"])
        else:
            services.post_reject(**seen, note=data["text"])

    def refused(self, action: str, form: DecisionForm, error: ServiceError) -> HttpResponse:
        """Reload the post as it is now; what the approver typed stays in the form, with the current revision."""
        post = self.get_post()
        can_decide = selectors.can_decide(membership=self.membership, post=post)
        if error.code == "stale":
            fresh = DecisionForm(initial={**_seen(post), "text": form.cleaned_data["text"]}, action=action)
            alert = _("This post changed since you opened it: review the new revision.")
            return self.page(post, can_decide=can_decide, forms={action: fresh}, alert=alert, status=409)
        form.add_error("text" if error.field in ("note", "comment") else None, error.message)
        if error.code == "already_decided":
            # Say who won: the latest decision on the revision this approver saw.
            last = post.decisions.filter(revision=form.cleaned_data["revision"]).select_related("decided_by").first()
            return self.page(post, can_decide=can_decide, alert=error.message, last_decision=last, status=409)
        return self.page(post, can_decide=can_decide, forms={action: form}, alert=error.message, status=400)

    def page(
        self,
        post: Post,
        *,
        can_decide: bool,
        forms: dict[str, DecisionForm] | None = None,
        alert: str = "",
        last_decision: ApprovalDecision | None = None,
        status: int = 200,
    ) -> HttpResponse:
        forms = forms or {}
        decision_forms = [
            forms.get(action) or DecisionForm(initial=_seen(post), action=action) for action in DecisionForm.ACTIONS
        ]
        context = {
            "post": post,
            "can_decide": can_decide,
            "decision_forms": decision_forms,
            "alert": alert,
            "last_decision": last_decision,
            "diff": [{**change, "label": diff_label(change["name"])} for change in selectors.revision_diff(post=post)],
            "history": selectors.post_history(post=post),
        }
        return self.render_to_response(self.get_context_data(**context), status=status)


# --- Approval policies -------------------------------------------------------------------------------------------


class PolicyListView(ReviewPage):
    permission = "settings.manage"
    template_name = "content/review/policies.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Steps and their named approvers are shown on the list: prefetched, a fixed number of queries.
        policies = (
            ApprovalPolicy.objects.filter(organization=self.organization)
            .select_related("programme")
            .prefetch_related("steps__approvers__user")
            .order_by("-is_default", "name")
        )
        return {**super().get_context_data(**kwargs), "policies": policies}


class PolicyFormView(ReviewPage):
    """Create or edit a policy: the policy form and a formset of ordered steps, validated together."""

    permission = "settings.manage"
    template_name = "content/review/policy_form.html"
    policy: ApprovalPolicy | None = None

    def forms(self, data: Any = None) -> tuple[PolicyForm, Any]:
        form = PolicyForm(data, organization=self.organization, policy=self.policy, initial=self.policy_initial())
        # Initial values only for the blank form: a bound formset compares its extra rows with them and would
        # take an unchanged step for an empty row.
        initial = None if data is not None else self.steps_initial()
        steps = StepFormSet(data, organization=self.organization, initial=initial, prefix="steps")
        return form, steps

    def load(self) -> None:
        """Edit pages load their policy here, once the permission was checked."""

    def policy_initial(self) -> dict[str, Any]:
        return {}

    def steps_initial(self) -> list[dict[str, Any]]:
        return []

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        form, steps = self.forms()
        return self.render_to_response(self.get_context_data(form=form, steps=steps))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        form, steps = self.forms(request.POST)
        if form.is_valid() and steps.is_valid() and self.steps_are_coherent(form, steps):
            try:
                policy = self.save(form, steps)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The policy “%(name)s” was saved.") % {"name": policy.name})
                return redirect(self.org_url("approval_policies"))
        return self.render_to_response(self.get_context_data(form=form, steps=steps), status=400)

    def steps_are_coherent(self, form: PolicyForm, steps: Any) -> bool:
        if form.requires_approval and not steps.ordered_steps():
            form.add_error("mode", _("Add at least one step, or choose “No approval”."))
            return False
        return True

    def step_inputs(self, form: PolicyForm, steps: Any) -> list[services.StepInput]:
        if not form.requires_approval:
            return []
        return [
            services.StepInput(
                name=step["name"],
                approver_role=step.get("approver_role") or "",
                approver_ids=tuple(member.pk for member in step.get("approvers") or ()),
            )
            for step in steps.ordered_steps()
        ]

    def save(self, form: PolicyForm, steps: Any) -> ApprovalPolicy:
        raise NotImplementedError


class PolicyCreateView(PolicyFormView):
    def save(self, form: PolicyForm, steps: Any) -> ApprovalPolicy:
        policy: ApprovalPolicy = services.policy_create(
            organization=self.organization,
            name=form.cleaned_data["name"],
            by=self.actor,
            steps=self.step_inputs(form, steps),
            is_default=form.cleaned_data["is_default"],
            programme=form.cleaned_data["programme"],
            requires_approval=form.requires_approval,
        )
        return policy


def _policy(view: OrganizationPermissionMixin, pk: int) -> ApprovalPolicy:
    return get_object_or_404(ApprovalPolicy.objects.filter(organization=view.organization), pk=pk)


class PolicyEditView(PolicyFormView):
    model = ApprovalPolicy

    def load(self) -> None:
        self.policy = _policy(self, self.kwargs["pk"])

    def policy_initial(self) -> dict[str, Any]:
        assert self.policy is not None
        return {
            "name": self.policy.name,
            "mode": PolicyForm.WITH_STEPS if self.policy.requires_approval else PolicyForm.NO_APPROVAL,
            "is_default": self.policy.is_default,
            "programme": self.policy.programme_id,
        }

    def steps_initial(self) -> list[dict[str, Any]]:
        assert self.policy is not None
        return [
            {
                "position": index,
                "name": step.name,
                "approver_role": step.approver_role,
                "approvers": [member.pk for member in step.approvers.all()],
            }
            for index, step in enumerate(self.policy.steps.prefetch_related("approvers").order_by("position"), 1)
        ]

    def save(self, form: PolicyForm, steps: Any) -> ApprovalPolicy:
        assert self.policy is not None
        services.policy_update(
            policy=self.policy,
            by=self.actor,
            name=form.cleaned_data["name"],
            steps=self.step_inputs(form, steps),
            is_default=form.cleaned_data["is_default"],
            requires_approval=form.requires_approval,
        )
        return self.policy


class PolicyDeleteView(ConfirmActionView):
    permission = "settings.manage"
    model = ApprovalPolicy

    def get_object(self) -> ApprovalPolicy:
        return _policy(self, self.kwargs["pk"])

    def confirmation(self, obj: ApprovalPolicy) -> dict[str, str]:
        return {
            "title": _("Delete the policy “%(name)s”?") % {"name": obj.name},
            "question": _(
                "Posts already in review finish with the steps they started with. New submissions follow the "
                "default policy."
            ),
            "button": _("Delete the policy"),
            "cancel_url": self.org_url("approval_policies"),
        }

    def perform(self, obj: ApprovalPolicy) -> str:
        services.policy_delete(policy=obj, by=self.actor)
        return _("The policy “%(name)s” was deleted.") % {"name": obj.name}


# --- Calendar ----------------------------------------------------------------------------------------------------


def _calendar_days(view: str, day: datetime.date) -> list[datetime.date]:
    """The days shown: whole weeks (Monday first) covering the month, or the week of ``day``."""
    if view == CalendarFilterForm.WEEK:
        monday = day - datetime.timedelta(days=day.weekday())
        return [monday + datetime.timedelta(days=n) for n in range(7)]
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(day.year, day.month)
    return [d for week in weeks for d in week]


def _neighbours(view: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    if view == CalendarFilterForm.WEEK:
        return day - datetime.timedelta(days=7), day + datetime.timedelta(days=7)
    first = day.replace(day=1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return previous, following


def _reschedule_form(post: Post) -> RescheduleForm:
    # Several forms on one page: the post id in the field ids keeps each label tied to its own input.
    return RescheduleForm(
        initial={"publish_at": post.publish_at, "expires_at": post.expires_at}, auto_id=f"id_%s_{post.pk}"
    )


# A day shows this many posts, then "+N more" leading to the library filtered on that day: a day of 10,000 posts
# renders as fast as a quiet one.
CALENDAR_POSTS_PER_DAY = 5


class CalendarView(ReviewPage):
    """Posts by publication date, in the organisation's time zone: a month grid or a week list."""

    permission = "content.edit"
    template_name = "content/review/calendar.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        tz = timezone.get_current_timezone()
        today = timezone.localdate(timezone=tz)
        form = CalendarFilterForm(self.request.GET, organization=self.organization, today=today)
        filters = form.filters()
        view, day = filters["view"], filters["date"]
        days = _calendar_days(view, day)
        start = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(days[-1] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        period: dict[str, Any] = {"organization": self.organization, "start": start, "end": end}
        period.update(programme=filters["programme"], topic=filters["topic"])
        posts = selectors.calendar_posts(**period, per_day=CALENDAR_POSTS_PER_DAY)
        counts = selectors.calendar_day_counts(**period)
        by_day: dict[datetime.date, list[Post]] = {d: [] for d in days}
        for post in posts:
            assert post.publish_at is not None
            if view == CalendarFilterForm.WEEK:  # the week list offers a reschedule form per post
                post.reschedule_form = _reschedule_form(post)  # type: ignore[attr-defined]
            by_day.setdefault(timezone.localtime(post.publish_at, tz).date(), []).append(post)
        cells = [
            {
                "date": d,
                "posts": by_day[d],
                "outside": view == "month" and d.month != day.month,
                "more": counts.get(d, 0) - len(by_day[d]),
                "more_url": self.library_url(d, filters),
            }
            for d in days
        ]
        previous, following = _neighbours(view, day)
        return {
            **super().get_context_data(**kwargs),
            "filter_form": form,
            "view": view,
            "day": day,
            "weeks": [cells[i : i + 7] for i in range(0, len(cells), 7)],
            "cells": cells,
            "month_has_posts": any(cell["posts"] for cell in cells if not cell["outside"]),
            "previous": previous.isoformat(),
            "following": following.isoformat(),
            "today": today,
            "time_zone": self.organization.time_zone,
        }

    def library_url(self, day: datetime.date, filters: dict[str, Any]) -> str:
        """The library filtered on ``day`` (and the calendar's programme and topic), where "+N more" leads."""
        query = {"date_from": day.isoformat(), "date_to": day.isoformat(), "sort": "publish_at"}
        query.update({name: str(filters[name].pk) for name in ("programme", "topic") if filters[name] is not None})
        return f"{self.org_url('content_library')}?{urlencode(query)}"


class RescheduleView(ReviewPage):
    """Change only the dates of a post; an approved post stays approved (``post_reschedule`` keeps it)."""

    permission = "content.edit"
    template_name = "content/review/reschedule.html"
    model = Post

    def get_post(self) -> Post:
        return get_object_or_404(selectors.posts_visible_to(membership=self.membership), pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.get_post()
        return self.page(post, _reschedule_form(post))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.get_post()
        form = RescheduleForm(request.POST)
        if form.is_valid():
            try:
                services.post_reschedule(
                    post=post,
                    by=self.actor,
                    publish_at=form.cleaned_data["publish_at"],
                    expires_at=form.cleaned_data["expires_at"],
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("“%(title)s” was rescheduled.") % {"title": post.title})
                return redirect(_next_url(request, self.org_url("calendar")))
        return self.page(post, form, status=400)

    def page(self, post: Post, form: RescheduleForm, status: int = 200) -> HttpResponse:
        context = {
            "post": post,
            "form": form,
            "next": _next_url(self.request, self.org_url("calendar")),
            "time_zone": self.organization.time_zone,
        }
        return self.render_to_response(self.get_context_data(**context), status=status)


# --- Suggestions -------------------------------------------------------------------------------------------------


class SuggestView(ReviewFormPage):
    permission = "feed.use"
    template_name = "content/review/suggest.html"
    form_class = SuggestForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        own = Suggestion.objects.filter(organization=self.organization, suggested_by=self.actor, source=None)
        return {**super().get_context_data(**kwargs), "suggestions": own.order_by("-created_at")[:50]}

    def form_valid(self, form: SuggestForm) -> HttpResponse:
        try:
            services.suggestion_create(organization=self.organization, by=self.actor, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Thank you! The communications team will look at your suggestion."))
        return redirect(self.org_url("suggest"))


class SuggestionInboxView(OrgUrlMixin, OrganizationPermissionMixin, ForgivingListView):
    """New suggestions from members and new items of the feed sources, in one inbox."""

    permission = "content.edit"
    template_name = "content/review/inbox.html"
    context_object_name = "suggestions"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Suggestion]:
        return selectors.suggestion_inbox(organization=self.organization)


def _suggestion(view: OrganizationPermissionMixin, pk: int) -> Suggestion:
    return get_object_or_404(Suggestion.objects.filter(organization=view.organization), pk=pk)


class SuggestionAcceptView(ReviewPage):
    permission = "content.edit"
    http_method_names = ["post"]
    model = Suggestion

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        suggestion = _suggestion(self, kwargs["pk"])
        try:
            post = services.suggestion_accept(suggestion=suggestion, by=self.actor)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect(self.org_url("suggestions"))
        messages.success(request, _("A draft was created from the suggestion: complete it and submit it."))
        return redirect(self.org_url("post_edit", post.pk))


class SuggestionDeclineView(ReviewFormPage):
    permission = "content.edit"
    template_name = "content/review/decline.html"
    form_class = DeclineForm
    model = Suggestion

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "suggestion": _suggestion(self, self.kwargs["pk"])}

    def form_valid(self, form: DeclineForm) -> HttpResponse:
        suggestion = _suggestion(self, self.kwargs["pk"])
        try:
            services.suggestion_decline(suggestion=suggestion, by=self.actor, note=form.cleaned_data["note"])
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The suggestion was declined; its author sees your note."))
        return redirect(self.org_url("suggestions"))


# --- Feed sources ------------------------------------------------------------------------------------------------


def _source(view: OrganizationPermissionMixin, pk: int) -> FeedSource:
    return get_object_or_404(FeedSource.objects.filter(organization=view.organization), pk=pk)


class FeedSourceListView(ReviewPage):
    permission = "content.edit"
    template_name = "content/review/feed_sources.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        sources = FeedSource.objects.filter(organization=self.organization).order_by("name")
        return {**super().get_context_data(**kwargs), "sources": sources}


class FeedSourceFormView(ReviewFormPage):
    permission = "content.edit"
    template_name = "content/review/feed_source_form.html"
    form_class = FeedSourceForm
    source: FeedSource | None = None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "source": self.source}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "source": self.source}

    def form_valid(self, form: FeedSourceForm) -> HttpResponse:
        try:
            self.save(form)
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The feed source “%(name)s” was saved.") % {"name": form.cleaned_data["name"]})
        return redirect(self.org_url("feed_sources"))

    def save(self, form: FeedSourceForm) -> None:
        data = form.cleaned_data
        feeds.feed_source_create(
            organization=self.organization,
            name=data["name"],
            url=data["url"],
            by=self.actor,
            max_items_per_day=data["max_items_per_day"],
        )


class FeedSourceEditView(FeedSourceFormView):
    model = FeedSource

    def get_form_kwargs(self) -> dict[str, Any]:
        self.source = _source(self, self.kwargs["pk"])
        return super().get_form_kwargs()

    def save(self, form: FeedSourceForm) -> None:
        assert self.source is not None
        changes = form.changes()
        if changes:
            feeds.feed_source_update(source=self.source, by=self.actor, **changes)


class FeedSourceDeleteView(ConfirmActionView):
    permission = "content.edit"
    model = FeedSource

    def get_object(self) -> FeedSource:
        return _source(self, self.kwargs["pk"])

    def confirmation(self, obj: FeedSource) -> dict[str, str]:
        return {
            "title": _("Delete the feed source “%(name)s”?") % {"name": obj.name},
            "question": _("It is no longer polled, and its items still waiting in the inbox are removed."),
            "button": _("Delete the source"),
            "cancel_url": self.org_url("feed_sources"),
        }

    def perform(self, obj: FeedSource) -> str:
        feeds.feed_source_delete(source=obj, by=self.actor)
        return _("The feed source “%(name)s” was deleted.") % {"name": obj.name}

    def success_url(self, obj: FeedSource) -> str:
        return self.org_url("feed_sources")


class FeedSourcePollView(ReviewPage):
    """The "poll now" button: the worker polls (with the same conditional GET and daily cap as the beat job)."""

    permission = "content.edit"
    http_method_names = ["post"]
    model = FeedSource

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        source = _source(self, kwargs["pk"])
        organization_id, source_id = self.organization.pk, source.pk
        transaction.on_commit(lambda: poll_feed_source.delay(organization_id=organization_id, source_id=source_id))
        messages.success(
            request,
            _("“%(name)s” will be polled in a moment: reload this page to see the result.") % {"name": source.name},
        )
        return redirect(self.org_url("feed_sources"))


urlpatterns = [
    path("approvals/", ApprovalInboxView.as_view(), name="approvals"),
    # ``post_pk``, not ``pk``: the id is a post's, whatever the path segment before it says.
    path("approvals/<int:post_pk>/", ApprovalDecideView.as_view(), name="approval_decide"),
    path("approvals/policies/", PolicyListView.as_view(), name="approval_policies"),
    path("approvals/policies/new/", PolicyCreateView.as_view(), name="approval_policy_create"),
    path("approvals/policies/<int:pk>/", PolicyEditView.as_view(), name="approval_policy_edit"),
    path("approvals/policies/<int:pk>/delete/", PolicyDeleteView.as_view(), name="approval_policy_delete"),
    path("calendar/", CalendarView.as_view(), name="calendar"),
    path("calendar/<int:pk>/reschedule/", RescheduleView.as_view(), name="post_reschedule"),
    path("suggest/", SuggestView.as_view(), name="suggest"),
    path("content/inbox/", SuggestionInboxView.as_view(), name="suggestions"),
    path("content/inbox/<int:pk>/accept/", SuggestionAcceptView.as_view(), name="suggestion_accept"),
    path("content/inbox/<int:pk>/decline/", SuggestionDeclineView.as_view(), name="suggestion_decline"),
    path("content/feeds/", FeedSourceListView.as_view(), name="feed_sources"),
    path("content/feeds/new/", FeedSourceFormView.as_view(), name="feed_source_create"),
    path("content/feeds/<int:pk>/", FeedSourceEditView.as_view(), name="feed_source_edit"),
    path("content/feeds/<int:pk>/delete/", FeedSourceDeleteView.as_view(), name="feed_source_delete"),
    path("content/feeds/<int:pk>/poll/", FeedSourcePollView.as_view(), name="feed_source_poll"),
]
