"""Serializers of the shares API. They validate input and shape output; every write goes through
``ambassadors.services.shares`` (the views call it with ``validated_data``), never through a serializer's ``save()``.
What the workers and the services decide — status, organisation, external id and address, attempts — is read-only."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ambassadors.models import Share
from ambassadors.presentation import needs_action_reason, share_note
from content.api.serializers import VisiblePostField
from content.models import Network, PostVariant


class NeedsActionSerializer(serializers.Serializer[Any]):
    message = serializers.CharField(read_only=True)
    fix_url = serializers.CharField(read_only=True, help_text=_("The page where the member fixes it, in one click."))
    fix_label = serializers.CharField(read_only=True)


class ShareSerializer(serializers.ModelSerializer[Share]):
    """A share of the caller. Every field is read-only: shares change through the create and action endpoints."""

    post_title = serializers.CharField(source="post.title", read_only=True)
    # Worded in the caller's language, like the page.
    last_error = serializers.CharField(source="last_error_message", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    needs_action = serializers.SerializerMethodField(help_text=_("Null unless the share waits for its member."))
    note = serializers.SerializerMethodField(help_text=_("Why the share is to post yourself, or was cancelled."))
    organization = serializers.IntegerField(source="organization_id", read_only=True)

    class Meta:
        model = Share
        fields = [
            "id",
            "post",
            "post_title",
            "network",
            "text",
            "link",
            "status",
            "status_label",
            "scheduled_at",
            "published_at",
            "external_id",
            "external_url",
            "attempts",
            "action_required",
            "needs_action",
            "note",
            "last_error",
            "organization",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(NeedsActionSerializer(allow_null=True))
    def get_needs_action(self, share: Share) -> dict[str, str] | None:
        hint = needs_action_reason(share)
        if hint is None:
            return None
        return {"message": hint.message, "fix_url": hint.fix_url, "fix_label": hint.fix_label}

    def get_note(self, share: Share) -> str:
        return share_note(share)


class ShareCreateSerializer(serializers.Serializer[Any]):
    """A share to make: the post (of this organisation), the network, the member's text, and when (empty: now)."""

    post = VisiblePostField(help_text=_("The id of a live post of the organisation."))
    network = serializers.ChoiceField(choices=Network.choices)
    text = serializers.CharField(max_length=10_000, help_text=_("The disclosure the charter requires is added."))
    at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text=_("When to publish; empty or past means now.")
    )
    variant = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text=_("The suggested text the member started from (one of the post's variants), if any."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        variant_id = attrs.pop("variant", None)
        attrs["variant"] = None
        if variant_id is not None:
            variant = PostVariant.objects.filter(
                organization=self.context["organization"], post=attrs["post"], pk=variant_id
            ).first()
            if variant is None:
                raise serializers.ValidationError({"variant": _("This is not one of the post's suggested texts.")})
            attrs["variant"] = variant
        return attrs


class ShareRescheduleSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField(help_text=_("The new time; a past time means now."))


class ShareCancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ShareMarkPostedSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The address of the member's post, on the network's domain (optional)."),
    )


class ShareFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Share.Status.choices, required=False)
