"""``/api/v1/o/<org>/feed/``: the member's feed, the composer's first draft and its live check, for a mobile app or
a browser extension. The same selectors and services as the pages: ``feed_posts`` (the one rule of which posts a
member sees), ``first_variant`` (different colleagues, different first drafts) and the composer's ``feedback``.

A person's feed only: API tokens get 403. A post the member may not see is a 404, like a missing one.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from ambassadors.api.base import MemberViewMixin
from ambassadors.forms import EVERYTHING, FOR_YOU
from ambassadors.selectors import feed_posts, feed_topics
from ambassadors.services.composer import feedback, first_variant, suggested_time
from charter import selectors as charter_selectors
from content.models import Network, Post, PostVariant, Topic
from content.selectors import posts_visible_to


class FeedTopicSerializer(serializers.ModelSerializer[Topic]):
    class Meta:
        model = Topic
        fields = ["id", "name", "colour"]


class FeedVariantSerializer(serializers.ModelSerializer[PostVariant]):
    class Meta:
        model = PostVariant
        fields = ["id", "network", "text"]


class FeedPostSerializer(serializers.ModelSerializer[Post]):
    topics = FeedTopicSerializer(many=True, read_only=True)
    variants = FeedVariantSerializer(many=True, read_only=True)
    preview_title = serializers.CharField(source="link_preview.title", read_only=True, default="")
    preview_site = serializers.CharField(source="link_preview.site_name", read_only=True, default="")
    preview_image = serializers.CharField(source="link_preview.image_url", read_only=True, default="")
    my_share = serializers.IntegerField(source="my_share_id", read_only=True, allow_null=True)
    composer_url = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "title",
            "link",
            "note",
            "featured",
            "publish_at",
            "expires_at",
            "editable_by_ambassadors",
            "topics",
            "variants",
            "preview_title",
            "preview_site",
            "preview_image",
            "my_share",
            "composer_url",
        ]
        read_only_fields = fields

    def get_composer_url(self, post: Post) -> str:
        return reverse("composer", args=[post.organization.slug, post.pk])


class FeedFilterSerializer(serializers.Serializer[Any]):
    show = serializers.ChoiceField(choices=[FOR_YOU, EVERYTHING], required=False)
    topic = serializers.IntegerField(required=False, min_value=1)
    network = serializers.ChoiceField(choices=[Network.LINKEDIN, Network.X], required=False)


class DraftQuerySerializer(serializers.Serializer[Any]):
    network = serializers.ChoiceField(choices=Network.choices, required=False, default=Network.LINKEDIN)


class DraftSerializer(serializers.Serializer[Any]):
    network = serializers.CharField()
    variant = FeedVariantSerializer(allow_null=True)
    suggested_at = serializers.DateTimeField()
    suggested_from_own_clicks = serializers.BooleanField()


class CheckInputSerializer(serializers.Serializer[Any]):
    network = serializers.ChoiceField(choices=Network.choices)
    text = serializers.CharField(max_length=10_000, allow_blank=True, trim_whitespace=False)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CheckSerializer(serializers.Serializer[Any]):
    problems = serializers.ListField(child=serializers.CharField(), help_text="Why it would not be shared, by rule.")
    similarity = serializers.FloatField(help_text="Share of the text found in its closest source, 0 to 1.")
    is_parrot = serializers.BooleanField(help_text="Above the threshold, without a sentence of the member's own.")
    own_words = serializers.IntegerField()
    own_words_required = serializers.IntegerField()
    closest_kind = serializers.CharField(help_text="variant or colleague; empty without any source.")
    closest_text = serializers.CharField(help_text="The closest text; a colleague's never names its author.")


@extend_schema_view(
    list=extend_schema(
        summary="My feed",
        description="The live posts meant for the caller, featured first, then newest. `show=for_you` keeps the "
        "caller's interests (the default once they chose some), `topic` and `network` narrow it. Empty until the "
        "caller accepted the charter. A person only: API tokens get 403.",
        parameters=[FeedFilterSerializer],
    ),
)
class FeedViewSet(MemberViewMixin, viewsets.GenericViewSet[Post]):
    permission = "feed.use"
    serializer_class = FeedPostSerializer
    lookup_url_kwarg = "post"
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Post]:
        if getattr(self, "swagger_fake_view", False):
            return Post.objects.none()
        return posts_visible_to(membership=self.membership).filter(organization=self.organization)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = FeedFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        state, _message = charter_selectors.charter_standing(membership=self.membership)
        rows: QuerySet[Post] = Post.objects.none()
        if state == charter_selectors.ACCEPTED:
            interests = feed_topics(membership=self.membership).interests
            show = values.get("show", FOR_YOU if interests else EVERYTHING)
            rows = feed_posts(
                membership=self.membership,
                topic=values.get("topic"),
                network=values.get("network", ""),
                interests=interests if show == FOR_YOU else (),
            ).select_related("organization")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(FeedPostSerializer(page, many=True).data)

    def _post(self) -> Post:
        post = self.get_queryset().filter(pk=self.kwargs["post"]).first()
        if post is None or not post.is_live_at():
            raise Http404
        return post

    @extend_schema(
        summary="Start a share of a post",
        description="The suggested text the caller starts from on `network` (the same one on every call; colleagues "
        "are offered different ones while the post has several) and a suggested time to share.",
        parameters=[DraftQuerySerializer],
        responses=DraftSerializer,
    )
    @action(detail=True, methods=["get"])
    def draft(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        post = self._post()
        query = DraftQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        network = query.validated_data["network"]
        variant = first_variant(membership=self.membership, post=post, network=network)
        suggestion = suggested_time(membership=self.membership, post=post)
        return Response(
            DraftSerializer(
                {
                    "network": network,
                    "variant": variant,
                    "suggested_at": suggestion.at,
                    "suggested_from_own_clicks": suggestion.from_own_clicks,
                }
            ).data
        )

    @extend_schema(
        summary="Check a text before sharing it",
        description="What the composer says as one types, nothing saved: the rules the text would break, named, "
        "and how much of it is copied from the suggestions and colleagues' shares (the anti-parrot check).",
        request=CheckInputSerializer,
        responses=CheckSerializer,
    )
    @action(detail=True, methods=["post"])
    def check(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        post = self._post()
        values = CheckInputSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        result = feedback(
            self.membership,
            post,
            values.validated_data["network"],
            values.validated_data["text"],
            at=values.validated_data["at"],
        )
        if result["empty"]:
            return Response(
                {
                    "problems": [],
                    "similarity": 0.0,
                    "is_parrot": False,
                    "own_words": 0,
                    "own_words_required": 0,
                    "closest_kind": "",
                    "closest_text": "",
                }
            )
        check = result["check"]
        closest = check.similarity.closest
        return Response(
            CheckSerializer(
                {
                    "problems": result["problems"],
                    "similarity": round(check.similarity.score, 3),
                    "is_parrot": result["parrot"],
                    "own_words": check.own_words,
                    "own_words_required": check.own_words_required,
                    "closest_kind": closest.kind if closest else "",
                    "closest_text": closest.text if closest else "",
                }
            ).data
        )


router = SimpleRouter()
router.register("feed", FeedViewSet, basename="api-feed")

urlpatterns = router.urls
