"""Webhooks that systems of the organisation call, under /hooks/o/<org>/: signed requests, no session, no member."""

from django.urls import path

from analytics.api.webhooks import ReferralWebhookView

urlpatterns = [
    path("referrals/", ReferralWebhookView.as_view(), name="referral_webhook"),
]
