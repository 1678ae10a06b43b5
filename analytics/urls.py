"""Pages of link tracking and referrals, under /o/<org>/ (the scope middleware applies)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("settings/links/", views.TrackingSettingsView.as_view(), name="tracking_settings"),
    path("settings/referrals/", views.ReferralSettingsView.as_view(), name="referral_settings"),
    path("settings/referrals/secret/", views.ReferralSecretRotateView.as_view(), name="referral_secret_rotate"),
    path("analytics/referrals/", views.ReferralListView.as_view(), name="referrals"),
    path("analytics/referrals/new/", views.ReferralCreateView.as_view(), name="referral_create"),
]
