"""The ambassador's feed and the composer of a share, under /o/<org>/feed/ (the scope middleware applies)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path

from advocacy.views.base import ForgivingListView, OrganizationPermissionMixin, OrgUrlMixin
from ambassadors.views.shares import MemberTimeZoneMixin, ShareCreateView
from content.models import Post
from content.selectors import posts_to_share, posts_visible_to


class FeedView(OrgUrlMixin, OrganizationPermissionMixin, MemberTimeZoneMixin, ForgivingListView):
    permission = "feed.use"
    template_name = "ambassadors/feed.html"
    context_object_name = "posts"
    paginate_by = 20

    def get_queryset(self) -> QuerySet[Post]:
        return posts_to_share(membership=self.membership)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        return {**context, "feed_panel": {"posts": context["page_obj"].object_list}}


class ComposerView(ShareCreateView):
    """Share one post of the feed (``/feed/<post>/share/``)."""

    def load_post(self) -> Post | None:
        return posts_visible_to(membership=self.membership).filter(pk=self.kwargs["post"]).first()


urlpatterns: list[URLPattern] = [
    path("feed/", FeedView.as_view(), name="feed"),
    path("feed/<int:post>/share/", ComposerView.as_view(), name="composer"),
]
