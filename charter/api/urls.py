from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from charter.api import views

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="api-incidents")

urlpatterns: list[URLPattern | URLResolver] = [
    path("charter/", views.CharterView.as_view(), name="api-charter"),
    path("charter/accept/", views.CharterAcceptView.as_view(), name="api-charter-accept"),
    path("charter/leave/", views.CharterLeaveView.as_view(), name="api-charter-leave"),
    path("charter/versions/", views.CharterVersionListView.as_view(), name="api-charter-versions"),
    path("charter/report/", views.AcceptanceReportView.as_view(), name="api-charter-report"),
    path("compliance/rules/", views.ComplianceRulesView.as_view(), name="api-compliance-rules"),
    path("compliance/check/", views.ComplianceCheckView.as_view(), name="api-compliance-check"),
    *router.urls,
]
