"""The ambassador's feed and the composer of a share, under /o/<org>/feed/ (the scope middleware applies).

The feed lists what ``ambassadors.selectors.feed_posts`` finds for the member (the one rule of which posts they may
see and are meant for, narrowed by their choices); "more" loads the next page with htmx, or as a plain link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from advocacy.models import Programme, ProgrammeMember
from advocacy.query import query_id
from advocacy.views.base import OrganizationPermissionMixin, OrgUrlMixin
from ambassadors.forms import EVERYTHING, FOR_YOU, FeedFilterForm
from ambassadors.selectors import feed_posts, feed_topics
from ambassadors.views.composer import ComposerCheckView, ComposerView
from ambassadors.views.shares import MemberTimeZoneMixin
from charter import selectors as charter_selectors
from content.models import Post

# Far enough for anyone scrolling; a page number past it (typed by hand) shows the last pages' neighbourhood.
MAX_PAGE = 500


@dataclass(frozen=True)
class FeedPage:
    """A page of the feed. "More" needs only to know whether there is a next page: no count of the whole feed."""

    number: int
    has_next: bool

    @property
    def next_page_number(self) -> int:
        return self.number + 1


class FeedView(OrgUrlMixin, OrganizationPermissionMixin, MemberTimeZoneMixin, TemplateView):
    permission = "feed.use"
    template_name = "ambassadors/feed.html"
    page_size = 12

    def get_template_names(self) -> list[str]:
        if self.request.htmx and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return ["ambassadors/_feed_page.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Sharing starts with the charter: until the member accepted it, the feed is the way to it.
        state, self.charter_message = charter_selectors.charter_standing(membership=self.membership)
        self.charter_state = state
        topics = feed_topics(membership=self.membership)
        self.filter_form = FeedFilterForm(self.request.GET, topics=topics.choices)
        self.interests = topics.interests
        self.show = self.filter_form.value("show", FOR_YOU if self.interests else EVERYTHING)
        number = min(query_id(self.request.GET, "page") or 1, MAX_PAGE)
        posts: list[Post] = []
        if state == charter_selectors.ACCEPTED:
            rows = feed_posts(
                membership=self.membership,
                topic=self.filter_form.value("topic"),
                network=self.filter_form.value("network", ""),
                interests=self.interests if self.show == FOR_YOU else (),
            )
            offset = (number - 1) * self.page_size
            posts = list(rows[offset : offset + self.page_size + 1])
        page = FeedPage(number, len(posts) > self.page_size)
        posts = posts[: self.page_size]
        return {
            **super().get_context_data(**kwargs),
            "posts": posts,
            "page_obj": page,
            "filter_form": self.filter_form,
            "empty": None if posts or number > 1 else self.why_empty(),
            "has_interests": bool(self.interests),
        }

    def why_empty(self) -> dict[str, str]:
        """Why there is nothing to share, and the one thing to do about it."""
        if self.charter_state == charter_selectors.NO_CHARTER:
            return {"title": _("Sharing opens soon"), "text": self.charter_message}
        if self.charter_state != charter_selectors.ACCEPTED:
            return {
                "title": _("Accept the charter to start sharing"),
                "text": self.charter_message,
                "action_url": self.org_url("charter_join"),
                "action_label": _("Read and accept the charter"),
            }
        if self.request.GET.get("topic") or self.request.GET.get("network"):
            return {
                "title": _("Nothing matches these filters"),
                "text": _("Other posts are waiting for you: clear the filters to see them."),
                "action_url": self.request.path + ("?show=all" if self.show == EVERYTHING else ""),
                "action_label": _("Clear filters"),
            }
        if self.show == FOR_YOU and self.interests:
            return {
                "title": _("Nothing new in your interests"),
                "text": _("Posts on other topics are meant for you too."),
                "action_url": self.request.path + "?show=all",
                "action_label": _("Show everything for me"),
            }
        if self.could_join_a_programme():
            return {
                "title": _("Join a programme to get its posts"),
                "text": _(
                    "Most posts are meant for the members of a programme, and you are in none yet. Some are open to "
                    "volunteers: pick the ones that interest you."
                ),
                "action_url": self.org_url("welcome_step", "programmes"),
                "action_label": _("Choose programmes"),
            }
        return {
            "title": _("Nothing to share right now"),
            "text": _(
                "No approved post is meant for your programmes and languages at the moment. New posts appear here as "
                "soon as the communications team approves them; you can also suggest a link."
            ),
            "action_url": self.org_url("suggest"),
            "action_label": _("Suggest a link"),
        }

    def could_join_a_programme(self) -> bool:
        organization_id = self.organization.pk
        if ProgrammeMember.objects.filter(organization=organization_id, membership=self.membership).exists():
            return False
        return Programme.objects.filter(organization=organization_id, open_to_volunteers=True).exists()


urlpatterns: list[URLPattern] = [
    path("feed/", FeedView.as_view(), name="feed"),
    path("feed/<int:post>/share/", ComposerView.as_view(), name="composer"),
    path("feed/<int:post>/share/check/", ComposerCheckView.as_view(), name="composer_check"),
]
