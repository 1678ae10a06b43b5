from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from advocacy.api import views

router = SimpleRouter()
router.register("members", views.MemberViewSet, basename="api-members")
router.register("programmes", views.ProgrammeViewSet, basename="api-programmes")

organization_patterns = [
    *router.urls,
    path("programmes/<int:pk>/members/", views.ProgrammeMemberListView.as_view(), name="api-programme-members"),
    path(
        "programmes/<int:pk>/members/<int:membership_id>/",
        views.ProgrammeMemberDetailView.as_view(),
        name="api-programme-member-detail",
    ),
]

urlpatterns = [
    path("schema/", views.PublicSchemaView.as_view(), name="api-schema"),
    path("docs/", views.PublicDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("o/<slug:org>/", include(organization_patterns)),
    path("o/<slug:org>/", include("content.api.urls")),
    path("o/<slug:org>/", include("charter.api.urls")),
    path("o/<slug:org>/", include("ambassadors.api.urls")),
    path("o/<slug:org>/", include("analytics.api.urls")),
    re_path(r"^", views.not_found),
]
