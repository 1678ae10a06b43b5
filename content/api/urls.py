from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from content.api import views

router = SimpleRouter()
router.register("topics", views.TopicViewSet, basename="api-topics")
router.register("posts", views.PostViewSet, basename="api-posts")
router.register("suggestions", views.SuggestionViewSet, basename="api-suggestions")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path("approvals/", views.ApprovalInboxView.as_view(), name="api-approvals"),
]
