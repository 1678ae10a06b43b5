"""Serializers of the content API. They validate input and shape output; every write goes through
``content.services`` (the views call them with ``validated_data``), never through a serializer's ``save()``."""

from typing import Any

from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advocacy.api.serializers import OrganizationRelatedField
from advocacy.media import media_url
from advocacy.models import Membership, Programme
from content.models import LinkPreview, Network, Post, PostVariant, Suggestion, Topic
from content.selectors import posts_visible_to
from content.services import VariantInput
from content.text import validate_variant_text

http_url = URLValidator(schemes=["http", "https"], message=_("Enter an http:// or https:// address."))


class VisiblePostField(OrganizationRelatedField):
    """A post id resolved among the posts the caller may see (``content.selectors.posts_visible_to``): a post they
    may not see is refused with the same error, word for word, as an id that does not exist. The view's context
    carries the caller's ``membership``; without one (an API token) no post resolves."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Post.objects, **kwargs)

    def get_queryset(self) -> QuerySet[Post]:
        membership: Membership | None = self.context.get("membership")
        if membership is None:
            return Post.objects.none()
        return posts_visible_to(membership=membership).filter(organization=self.context["organization"])


class TopicSerializer(serializers.ModelSerializer[Topic]):
    class Meta:
        model = Topic
        fields = ["id", "name", "colour", "description", "created_at"]
        read_only_fields = ["id", "created_at"]


class VariantSerializer(serializers.ModelSerializer[PostVariant]):
    """One caption for one network; ``PostSerializer.validate_variants`` checks it against the network's limit."""

    network = serializers.ChoiceField(choices=Network.choices)
    text = serializers.CharField(max_length=10_000)

    class Meta:
        model = PostVariant
        fields = ["id", "network", "text", "position"]
        read_only_fields = ["id", "position"]


class LinkPreviewSerializer(serializers.ModelSerializer[LinkPreview]):
    """What the link shows when shared, fetched by a worker after the post is saved; ``error`` says why a
    ``failed`` or ``refused`` preview has nothing, in the language of the request."""

    error = serializers.CharField(source="error_message", read_only=True)

    class Meta:
        model = LinkPreview
        fields = ["url", "status", "title", "description", "image_url", "site_name", "error", "fetched_at"]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer[Post]):
    """A post of the library with its variants, topic ids and programme ids.

    ``status``, ``revision``, ``approved_revision``, ``current_step``, ``author`` and ``organization`` are
    read-only: a value sent for them is ignored. Images cannot be sent as JSON: ``image`` is the members-only
    address of the image uploaded on the library page (it needs a signed-in member's session), or null.
    """

    link = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, validators=[http_url], help_text=_("The link to share.")
    )
    image = serializers.SerializerMethodField(
        help_text=_("Read-only here: upload or change the image on the library page, the API takes no files."),
    )
    variants = VariantSerializer(many=True, required=False)
    link_preview = LinkPreviewSerializer(read_only=True, allow_null=True)
    topics = OrganizationRelatedField(queryset=Topic.objects, many=True, required=False)
    programmes = OrganizationRelatedField(queryset=Programme.objects, many=True, required=False)
    languages = serializers.ListField(
        child=serializers.RegexField(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=12),
        required=False,
        max_length=20,
        help_text=_("Language codes of the audience, such as “fr” or “en”."),
    )
    # The id, not a nested object or slug: a join or a query per post for a value the URL already names.
    organization = serializers.IntegerField(source="organization_id", read_only=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_image(self, post: Post) -> str | None:
        url = media_url(self.context["organization"], post.image.name or "") if post.image else ""
        if not url:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    class Meta:
        model = Post
        fields = [
            "id",
            "title",
            "link",
            "referral_parameter",
            "note",
            "image",
            "link_preview",
            "variants",
            "topics",
            "programmes",
            "languages",
            "publish_at",
            "expires_at",
            "confidential_until",
            "editable_by_ambassadors",
            "featured",
            "status",
            "revision",
            "approved_revision",
            "current_step",
            "author",
            "suggested_by",
            "organization",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "link_preview",
            "status",
            "revision",
            "approved_revision",
            "current_step",
            "author",
            "suggested_by",
            "organization",
            "created_at",
            "updated_at",
        ]

    def validate_variants(self, variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # X counts weighted characters and 23 per URL: the error names the variant (1-based, as the editor shows
        # them) with its network and count, so a client can point at it.
        errors = []
        for number, variant in enumerate(variants, start=1):
            problems = validate_variant_text(variant["network"], variant["text"])
            if problems:
                label = Network(variant["network"]).label
                errors.append(
                    _("Variant %(number)d (%(network)s): %(errors)s")
                    % {"number": number, "network": label, "errors": " ".join(problems)}
                )
        if errors:
            raise serializers.ValidationError(errors)
        return variants

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # On a PATCH the date not sent is the stored one: moving only the publish date past expiry is refused too.
        publish_at = attrs.get("publish_at", getattr(self.instance, "publish_at", None))
        expires_at = attrs.get("expires_at", getattr(self.instance, "expires_at", None))
        if publish_at and expires_at and expires_at <= publish_at:
            raise serializers.ValidationError({"expires_at": _("The expiry date must be after the publish date.")})
        return attrs

    def service_arguments(self) -> dict[str, Any]:
        """``validated_data`` as the services take it: variants as ``VariantInput``, lists as tuples."""
        data = dict(self.validated_data)
        if "variants" in data:
            data["variants"] = tuple(VariantInput(network=v["network"], text=v["text"]) for v in data["variants"])
        for name in ("topics", "programmes", "languages"):
            if name in data:
                data[name] = tuple(data[name])
        return data


class PostUpdateSerializer(PostSerializer):
    """A PATCH of a post. ``revision`` is the revision the caller edited: if the post changed since, the answer is
    409 ``stale`` and nothing is saved. Sending ``variants`` replaces all of them."""

    revision = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_("The revision you edited; when the post has a newer one the update is refused with 409."),
    )

    class Meta(PostSerializer.Meta):
        read_only_fields = [name for name in PostSerializer.Meta.read_only_fields if name != "revision"]

    def service_arguments(self) -> dict[str, Any]:
        data = super().service_arguments()
        data["expected_revision"] = data.pop("revision", None)
        return data


class PostFilterSerializer(serializers.Serializer[Any]):
    """The query string of the posts list; an unknown status, or a topic or programme of another organisation, is
    a 400 rather than an empty page."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text=_("Search title and text."))
    status = serializers.ChoiceField(choices=Post.Status.choices, required=False)
    topic = OrganizationRelatedField(queryset=Topic.objects, required=False)
    programme = OrganizationRelatedField(queryset=Programme.objects, required=False)
    network = serializers.ChoiceField(choices=Network.choices, required=False, help_text=_("Has a variant for it."))
    author = serializers.IntegerField(required=False, min_value=1, help_text=_("The author's user id."))
    date_from = serializers.DateField(required=False, help_text=_("Publish date on or after."))
    date_to = serializers.DateField(required=False, help_text=_("Publish date on or before."))
    ordering = serializers.ChoiceField(
        choices=["-created", "created", "publish_at", "-publish_at", "title"], required=False
    )


class RevisionSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField(
        min_value=1, help_text=_("The revision you reviewed; a newer one is refused with 409.")
    )


class ApproveSerializer(RevisionSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class DecisionNoteSerializer(RevisionSerializer):
    note = serializers.CharField(max_length=5000, help_text=_("Required: what the author should change, or why."))


class RescheduleSerializer(serializers.Serializer[Any]):
    publish_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["publish_at"] and attrs["expires_at"] and attrs["expires_at"] <= attrs["publish_at"]:
            raise serializers.ValidationError({"expires_at": _("The expiry date must be after the publish date.")})
        return attrs


class SuggestionSerializer(serializers.ModelSerializer[Suggestion]):
    url = serializers.CharField(max_length=2000, validators=[http_url], help_text=_("The link you suggest."))

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "url",
            "title",
            "comment",
            "status",
            "suggested_by",
            "source",
            "decline_note",
            "post",
            "created_at",
            "decided_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "suggested_by",
            "source",
            "decline_note",
            "post",
            "created_at",
            "decided_at",
        ]
        extra_kwargs = {"title": {"required": False}, "comment": {"required": False}}


class SuggestionFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=Suggestion.Status.choices, default=Suggestion.Status.NEW, help_text=_("“new” (the inbox) by default.")
    )


class DeclineSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=5000, help_text=_("Required: the author sees it."))
