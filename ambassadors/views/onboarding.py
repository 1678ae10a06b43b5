"""The welcome tour (``/welcome/<step>/``, one step a page) and the member's ambassador profile (``/profile/``),
under /o/<org>/ (the scope middleware applies). Both edit the same things with the same forms and services.

Every choice comes from the member's organisation (``ambassadors.forms_profile``); the member's profile and
programmes are found from their membership, never from an id in the URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from advocacy.errors import ServiceError
from advocacy.views.base import OrganizationPermissionMixin, OrgUrlMixin, add_service_error
from ambassadors import onboarding
from ambassadors.forms_profile import ChecklistForm, ProfileForm, ProgrammesForm
from ambassadors.models import AmbassadorProfile, SocialConnection
from ambassadors.selectors import member_connections
from ambassadors.services import profiles
from charter import selectors as charter_selectors
from content.selectors import posts_to_share

# Enough to pick one from on the last step; the feed has the rest.
FIRST_SHARE_POSTS = 3


class ProfileArea(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    permission = "feed.use"
    # The tour proposes the browser's time zone; the profile page keeps an empty choice (the organisation's) as is.
    prefill_device_zone = False

    _profile: AmbassadorProfile | None = None

    @property
    def profile(self) -> AmbassadorProfile:
        if self._profile is None:
            self._profile = profiles.profile_for(membership=self.membership)
        return self._profile

    def programmes_form(self, data: Any = None) -> ProgrammesForm:
        offered = onboarding.open_programmes(membership=self.membership)
        return ProgrammesForm(
            data,
            membership=self.membership,
            open_programmes=offered,
            initial={"programmes": [programme.pk for programme in offered if getattr(programme, "joined", False)]},
        )

    def profile_form(self, data: Any = None) -> ProfileForm:
        return ProfileForm(
            data,
            membership=self.membership,
            topics=onboarding.organization_topics(membership=self.membership),
            prefill_device_zone=self.prefill_device_zone,
            initial={
                "interests": onboarding.interest_ids(profile=self.profile),
                "languages": self.membership.languages,
                "time_zone": self.membership.user.time_zone,
                "show_in_rankings": self.profile.show_in_rankings,
            },
        )

    def checklist_form(self, data: Any = None) -> ChecklistForm:
        return ChecklistForm(data, initial={"checklist": self.profile.checklist})

    def programmes_context(self, form: ProgrammesForm) -> dict[str, Any]:
        return {
            "programmes_form": form,
            "closed_programmes": onboarding.closed_programmes_joined(membership=self.membership),
        }

    def save_programmes(self, form: ProgrammesForm) -> bool:
        """True when saved; False with the refusal on the form."""
        try:
            profiles.programmes_choose_self(membership=self.membership, chosen=form.cleaned_data["programmes"])
        except ServiceError as error:
            add_service_error(form, error)
            return False
        return True

    def save_profile(self, form: ProfileForm) -> bool:
        try:
            profiles.profile_save(profile=self.profile, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
            return False
        return True

    def save_checklist(self, form: ChecklistForm) -> bool:
        try:
            profiles.checklist_tick(profile=self.profile, ticked=form.cleaned_data["checklist"])
        except ServiceError as error:
            add_service_error(form, error)
            return False
        return True


class WelcomeView(ProfileArea):
    """The tour's door: the first step still ahead of the member (the first one once they finished)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        progress = onboarding.progress_of(self.membership)
        step = onboarding.STEPS[0] if progress.done_at else onboarding.first_step_ahead(self.membership, progress)
        return redirect(self.org_url("welcome_step", step.key))


class WelcomeStepView(ProfileArea):
    """One step: why it matters, what to do, Back / Skip (where it may be skipped) / Continue."""

    template_name = "ambassadors/welcome.html"
    prefill_device_zone = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        step = onboarding.step_for(kwargs["step"])
        if step is None:
            # An old or mistyped step: the tour's door knows where the member stands.
            return redirect(reverse("welcome", kwargs={"org": kwargs["org"]}))
        self.step = step
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "continue")
        if action == "skip":
            try:
                profiles.onboarding_skip(profile=self.profile, step=self.step.key)
            except ServiceError as error:
                messages.error(request, error.message)
                return redirect(self.step_url(self.step))
            return self.go_on()
        handler = getattr(self, f"post_{self.step.key.replace('-', '_')}")
        response: HttpResponse = handler(action)
        return response

    def post_programmes(self, action: str) -> HttpResponse:
        form = self.programmes_form(self.request.POST)
        if not (form.is_valid() and self.save_programmes(form)):
            return self.render_to_response(self.get_context_data(**self.programmes_context(form)), status=400)
        if not form.cleaned_data["programmes"]:
            profiles.onboarding_skip(profile=self.profile, step=self.step.key)  # nothing picked: passed over
        return self.go_on()

    def post_charter(self, action: str) -> HttpResponse:
        if onboarding.charter_settled(self.membership):
            return self.go_on()
        messages.error(self.request, _("Accept the charter to go on: you cannot share without it."))
        return redirect(self.step_url(self.step))

    def post_profile(self, action: str) -> HttpResponse:
        form = self.profile_form(self.request.POST)
        if not (form.is_valid() and self.save_profile(form)):
            return self.render_to_response(self.get_context_data(profile_form=form), status=400)
        data = form.cleaned_data
        if not (data["interests"] or data["languages"] or data["time_zone"] or data["show_in_rankings"]):
            profiles.onboarding_skip(profile=self.profile, step=self.step.key)
        return self.go_on()

    def post_connect(self, action: str) -> HttpResponse:
        if not self.active_connections():
            profiles.onboarding_skip(profile=self.profile, step=self.step.key)  # copy-and-open works without
        return self.go_on()

    def post_first_share(self, action: str) -> HttpResponse:
        if action == "checklist":
            form = self.checklist_form(self.request.POST)
            if not (form.is_valid() and self.save_checklist(form)):
                return self.render_to_response(self.get_context_data(checklist_form=form), status=400)
            messages.success(self.request, _("Your checklist was saved."))
            return redirect(self.step_url(self.step))
        profiles.onboarding_finish(profile=self.profile)
        messages.success(self.request, _("You are all set. Welcome aboard!"))
        return redirect(self.org_url("org_home"))

    def go_on(self) -> HttpResponse:
        _previous, following = onboarding.neighbours(self.step.key)
        return redirect(self.step_url(following) if following else self.step_url(self.step))

    def step_url(self, step: onboarding.Step) -> str:
        return self.org_url("welcome_step", step.key)

    def active_connections(self) -> list[SocialConnection]:
        return list(member_connections(membership=self.membership).filter(status=SocialConnection.Status.ACTIVE))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        previous, following = onboarding.neighbours(self.step.key)
        step_context = getattr(self, f"context_{self.step.key.replace('-', '_')}")(kwargs)
        return super().get_context_data(
            step=self.step,
            number=onboarding.step_number(self.step.key),
            total=len(onboarding.STEPS),
            steps=[
                {"step": step, "number": index, "current": step.key == self.step.key}
                for index, step in enumerate(onboarding.STEPS, start=1)
            ],
            previous_url=self.step_url(previous) if previous else "",
            is_last=following is None,
            **step_context,
            **kwargs,
        )

    def context_programmes(self, given: dict[str, Any]) -> dict[str, Any]:
        return {} if "programmes_form" in given else self.programmes_context(self.programmes_form())

    def context_charter(self, given: dict[str, Any]) -> dict[str, Any]:
        status = charter_selectors.charter_status(membership=self.membership)
        join_url = f"{self.org_url('charter_join')}?{urlencode({'next': self.step_url(self.step)})}"
        return {
            "charter": status,
            "no_charter": status.state == charter_selectors.NO_CHARTER,
            "may_go_on": status.can_share or status.state == charter_selectors.NO_CHARTER,
            "join_url": join_url,
        }

    def context_profile(self, given: dict[str, Any]) -> dict[str, Any]:
        return {} if "profile_form" in given else {"profile_form": self.profile_form()}

    def context_connect(self, given: dict[str, Any]) -> dict[str, Any]:
        connections = self.active_connections()
        connected = {connection.provider for connection in connections}
        return {
            "connections": connections,
            "networks": [
                {"provider": provider, "label": label}
                for provider, label in SocialConnection.Provider.choices
                if provider not in connected
            ],
            "connections_url": self.org_url("connections"),
        }

    def context_first_share(self, given: dict[str, Any]) -> dict[str, Any]:
        return {
            "posts": list(posts_to_share(membership=self.membership)[:FIRST_SHARE_POSTS]),
            "training": charter_selectors.next_training_module(membership=self.membership),
            **({} if "checklist_form" in given else {"checklist_form": self.checklist_form()}),
        }


class ProfileView(ProfileArea):
    """The same forms as the tour, on one page; each saves on its own."""

    template_name = "ambassadors/profile.html"
    FORMS = ("programmes", "profile", "checklist")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        which = request.POST.get("form", "")
        if which not in self.FORMS:
            return self.render_to_response(self.get_context_data(), status=400)
        form = getattr(self, f"{which}_form")(request.POST)
        saved = form.is_valid() and getattr(self, f"save_{which}")(form)
        if not saved:
            return self.render_to_response(self.get_context_data(**{f"{which}_form": form}), status=400)
        messages.success(request, _("Your profile was saved."))
        return redirect(self.org_url("ambassador_profile"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        programmes = self.programmes_context(kwargs.pop("programmes_form", None) or self.programmes_form())
        return super().get_context_data(
            **programmes,
            profile_form=kwargs.pop("profile_form", None) or self.profile_form(),
            checklist_form=kwargs.pop("checklist_form", None) or self.checklist_form(),
            profile=self.profile,
            welcome_url=self.org_url("welcome_step", onboarding.STEPS[0].key),
            **kwargs,
        )


urlpatterns: list[URLPattern] = [
    path("welcome/", WelcomeView.as_view(), name="welcome"),
    path("welcome/<slug:step>/", WelcomeStepView.as_view(), name="welcome_step"),
    path("profile/", ProfileView.as_view(), name="ambassador_profile"),
]
