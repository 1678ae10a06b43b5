from django.urls import include, path

from advocacy.admin import site as staff_admin
from advocacy.views import account, health, invitations, public

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", public.robots_txt, name="robots_txt"),
    path("favicon.ico", public.favicon_ico, name="favicon_ico"),
    path("manifest.webmanifest", public.web_manifest, name="web_manifest"),
    path("admin/", staff_admin.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", include(account.urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    # Outside /o/<org>/ on purpose: the invitee is not a member yet, so the scope middleware would answer 404.
    path("invitations/<slug:org_slug>/<str:token>/", invitations.accept, name="invitation_accept"),
    # Outside /o/<org>/ on purpose: a network redirects to one exactly registered URI, whatever the organisation.
    path("connections/callback/", include("ambassadors.urls_callback")),
    path("sandbox/", include("ambassadors.sandbox.urls")),
    # Outside /o/<org>/ on purpose: the digest's unsubscribe link works without signing in (RFC 8058 one-click).
    path("unsubscribe/", include("ambassadors.urls_unsubscribe")),
    path("unsubscribe/weekly-summary/", include("analytics.urls_unsubscribe")),
    path("o/<slug:org>/", include("advocacy.urls_org")),
    path("o/<slug:org>/", include("content.urls")),
    path("o/<slug:org>/", include("charter.urls")),
    path("o/<slug:org>/", include("ambassadors.urls")),
    path("o/<slug:org>/", include("analytics.urls")),
    path("api/v1/", include("advocacy.api.urls")),
    # Outside /o/<org>/ and /api/v1/o/<org>/ on purpose: a signed machine request, from no member (README, "Webhooks").
    path("hooks/o/<slug:org>/", include("analytics.urls_hooks")),
]

handler403 = "advocacy.views.public.permission_denied"
handler404 = "advocacy.views.public.page_not_found"
handler500 = "advocacy.views.public.server_error"
