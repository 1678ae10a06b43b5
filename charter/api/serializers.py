"""Serializers of the charter, compliance and incidents API. They validate input and shape output; every write goes
through ``charter.services``, ``charter.compliance`` or ``charter.incidents`` (the views call them with
``validated_data``), never through a serializer's ``save()``."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from advocacy.api.serializers import OrganizationRelatedField
from charter.compliance import RULE_FIELDS
from charter.markdown import render_markdown
from charter.models import CharterVersion, ComplianceRules, Incident, IncidentEvent
from content.api.serializers import VisiblePostField, http_url
from content.models import Network

# --- Charter ---------------------------------------------------------------------------------------------------------


class CharterVersionSerializer(serializers.ModelSerializer[CharterVersion]):
    """A published version of the charter; ``html`` is its Markdown rendered and sanitised."""

    html = serializers.SerializerMethodField(help_text=_("The text rendered to safe HTML."))

    class Meta:
        model = CharterVersion
        fields = [
            "id",
            "number",
            "title",
            "body",
            "html",
            "summary_of_changes",
            "requires_reacceptance",
            "published_at",
        ]
        read_only_fields = fields

    def get_html(self, version: CharterVersion) -> str:
        return str(render_markdown(version.body))


class CharterStatusSerializer(serializers.Serializer[Any]):
    """Where the caller stands: ``state`` and ``can_share`` come from ``charter_status``, never from the client."""

    state = serializers.CharField(read_only=True)
    can_share = serializers.BooleanField(read_only=True)
    message = serializers.CharField(read_only=True)
    accepted_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("The number of the version the caller last accepted.")
    )
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)


class CharterSerializer(serializers.Serializer[Any]):
    current = CharterVersionSerializer(
        read_only=True, allow_null=True, help_text=_("Null until a version is published.")
    )
    status = CharterStatusSerializer(
        read_only=True, allow_null=True, help_text=_("The caller's status; null for an API token, which is no member.")
    )


class CharterAcceptSerializer(serializers.Serializer[Any]):
    """The version the person read and accepts: a stale page accepting an older version is refused by the service."""

    version = OrganizationRelatedField(
        queryset=CharterVersion.objects.filter(status=CharterVersion.Status.PUBLISHED),
        help_text=_("The id of the published version being accepted."),
    )


class AcceptanceRowSerializer(serializers.Serializer[Any]):
    membership = serializers.IntegerField(source="membership.pk", read_only=True)
    user = serializers.IntegerField(source="user.pk", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    role = serializers.CharField(source="membership.role", read_only=True)
    version = serializers.IntegerField(
        source="version_number",
        read_only=True,
        allow_null=True,
        help_text=_("The number of the version accepted last; null when never accepted."),
    )
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    state = serializers.CharField(read_only=True)


class AcceptanceReportFilterSerializer(serializers.Serializer[Any]):
    version = OrganizationRelatedField(
        queryset=CharterVersion.objects.filter(status=CharterVersion.Status.PUBLISHED),
        required=False,
        help_text=_("The id of a published version: who accepted it, and who has not. The current one by default."),
    )


# --- Compliance ------------------------------------------------------------------------------------------------------


class LinesField(serializers.ListField):
    """A one-per-line text field of the model, as a list of strings (blank lines dropped)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(max_length=300), max_length=1000, **kwargs)

    def to_representation(self, data: Any) -> list[str]:
        return [line.strip() for line in str(data or "").splitlines() if line.strip()]

    def to_internal_value(self, data: Any) -> str:  # type: ignore[override]
        values = super().to_internal_value(data)
        return "\n".join(value.strip() for value in values if value.strip())


class ComplianceRulesSerializer(serializers.ModelSerializer[ComplianceRules]):
    """The organisation's rules for shares. ``programme``, ``organization`` and ``updated_at`` are read-only."""

    blocked_phrases = LinesField(required=False, help_text=_("Blocked words and phrases."))
    allowed_domains = LinesField(required=False, help_text=_("Allowed link domains; empty allows every domain."))
    sharing_weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        required=False,
        max_length=7,
        help_text=_("ISO weekdays 1 (Monday) to 7; empty means every day."),
    )
    reconsent_months = serializers.IntegerField(min_value=1, max_value=120, required=False)
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    programme = serializers.IntegerField(source="programme_id", read_only=True, allow_null=True)

    class Meta:
        model = ComplianceRules
        fields = [*RULE_FIELDS, "organization", "programme", "updated_at"]
        read_only_fields = ["organization", "programme", "updated_at"]
        extra_kwargs = {
            "daily_cap": {"min_value": 1},
            "daily_cap_per_network": {"min_value": 1},
        }

    def validate_sharing_weekdays(self, days: list[int]) -> list[int]:
        return sorted(set(days))


class ComplianceCheckSerializer(serializers.Serializer[Any]):
    """A draft share to check: the live check of the share composer and of the "try a text" box."""

    network = serializers.ChoiceField(choices=Network.choices)
    text = serializers.CharField(max_length=10_000)
    link = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", validators=[http_url])
    post = VisiblePostField(required=False, allow_null=True, default=None)


class ViolationSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    message = serializers.CharField(read_only=True)
    field = serializers.CharField(read_only=True, allow_null=True)
    start = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Where the offending text starts in the draft's text.")
    )
    end = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("Where it ends (exclusive)."))
    next_allowed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("Outside the allowed hours or over a cap: when sharing is next allowed."),
    )


class ComplianceCheckResultSerializer(serializers.Serializer[Any]):
    violations = ViolationSerializer(many=True, read_only=True)


# --- Incidents -------------------------------------------------------------------------------------------------------


class IncidentEventSerializer(serializers.ModelSerializer[IncidentEvent]):
    class Meta:
        model = IncidentEvent
        fields = ["id", "kind", "text", "actor", "created_at"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    """An incident as a member reports it. ``status``, ``reported_by`` and ``organization`` are read-only: a value
    sent for them is ignored."""

    link = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", validators=[http_url])
    post = VisiblePostField(required=False, allow_null=True, default=None)
    organization = serializers.IntegerField(source="organization_id", read_only=True)

    class Meta:
        model = Incident
        fields = ["id", "kind", "description", "link", "post", "status", "reported_by", "organization", "created_at"]
        read_only_fields = ["id", "status", "reported_by", "organization", "created_at"]


class IncidentDetailSerializer(IncidentSerializer):
    """An incident with its timeline."""

    events = IncidentEventSerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "events"]


class IncidentUpdateSerializer(serializers.Serializer[Any]):
    """What the referent changes: the status, with a note on the timeline (or a note alone)."""

    status = serializers.ChoiceField(choices=Incident.Status.choices, required=False)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "status" not in attrs and not attrs.get("note", "").strip():
            raise serializers.ValidationError({"status": _("Give a new status, a note, or both.")})
        return attrs


class IncidentFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Incident.Status.choices, required=False)
