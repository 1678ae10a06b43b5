"""The KPI pages, programme goals, referrals, retention and the settings of link tracking, earned media value and
referrals, under /o/<org>/ (the scope middleware applies)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/", views.DashboardView.as_view(), name="analytics_dashboard"),
    path("analytics/export/", views.ExportView.as_view(), name="analytics_export"),
    path("analytics/export/<int:pk>/", views.ExportStatusView.as_view(), name="analytics_export_status"),
    path("analytics/export/<int:pk>/download/", views.ExportDownloadView.as_view(), name="analytics_export_download"),
    path("analytics/me/", views.MyImpactView.as_view(), name="my_impact"),
    path("analytics/community/", views.CommunityInsightsView.as_view(), name="community_insights"),
    path("analytics/weekly-summary/", views.WeeklySummarySettingsView.as_view(), name="weekly_summary_settings"),
    path("settings/links/", views.TrackingSettingsView.as_view(), name="tracking_settings"),
    path("settings/value/", views.EmvRatesView.as_view(), name="emv_rates"),
    path("analytics/goals/<int:programme_pk>/", views.ProgrammeGoalsView.as_view(), name="programme_goals"),
    path("settings/referrals/", views.ReferralSettingsView.as_view(), name="referral_settings"),
    path("settings/referrals/secret/", views.ReferralSecretRotateView.as_view(), name="referral_secret_rotate"),
    path("analytics/referrals/", views.ReferralListView.as_view(), name="referrals"),
    path("analytics/referrals/new/", views.ReferralCreateView.as_view(), name="referral_create"),
    path("analytics/retention/", views.RetentionView.as_view(), name="retention"),
    path("analytics/retention/leavers/", views.LeaversImportView.as_view(), name="retention_leavers"),
]
