"""My account: profile and language, the language switcher, and the two-factor set-up an organisation may require."""

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import flows as totp_flows
from allauth.mfa.totp.views import ActivateTOTPView
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from advocacy.forms_account import AccountForm, LanguageForm


def safe_next_url(request: HttpRequest, candidate: str | None, default: str = "home") -> str:
    """``candidate`` when it stays on this site (no other host, no scheme trick), else the ``default`` URL name."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        language = user.language or translation.get_language_from_request(request)
        # Activated now so the confirmation below already speaks the chosen language.
        translation.activate(language)
        messages.success(request, _("Your account has been saved."))
        response = redirect("account")
        if user.language:
            _set_language_cookie(response, user.language)
        return response
    return render(request, "account/my_account.html", {"form": form})


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switcher: remembers the choice on the account (when signed in) and in the language cookie."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This language is not available."))
        return HttpResponseRedirect(safe_next_url(request, request.POST.get("next")))
    code = form.cleaned_data["language"]
    if request.user.is_authenticated and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    translation.activate(code)
    response = HttpResponseRedirect(safe_next_url(request, form.cleaned_data["next"]))
    _set_language_cookie(response, code)
    return response


@method_decorator(login_required, name="dispatch")
class TwoFactorRequiredView(ActivateTOTPView):  # type: ignore[misc]  # allauth ships no type hints
    """allauth's TOTP activation, for an organisation that requires it, ending back on the page the member wanted.

    allauth's own view ignores ``next`` and ends on its recovery-codes page; this one shows the recovery codes
    once, then a "Continue" button to the safe ``next``. Its parent keeps allauth's re-authentication and
    verified-address checks.
    """

    template_name = "mfa/required.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.next_url = safe_next_url(request, request.GET.get("next") or request.POST.get("next"))
        if is_mfa_enabled(request.user, [Authenticator.Type.TOTP]):
            return HttpResponseRedirect(self.next_url)
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["next_url"] = self.next_url
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        _totp, recovery = totp_flows.activate_totp(self.request, form)
        codes = RecoveryCodes(recovery).get_unused_codes() if recovery is not None else []
        # Rendered, not redirected: the codes are shown this once and never again.
        return render(self.request, "mfa/required_done.html", {"codes": codes, "next_url": self.next_url})


urlpatterns = [
    path("", account, name="account"),
    path("language/", language, name="account_language"),
    path("two-factor/required/", TwoFactorRequiredView.as_view(), name="two_factor_required"),
]
