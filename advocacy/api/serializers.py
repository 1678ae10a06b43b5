"""Serializers of the API. They validate input and shape output; every write goes through ``advocacy.services``."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advocacy.models import Membership, Programme, ProgrammeMember
from advocacy.roles import Role


class OrganizationRelatedField(serializers.PrimaryKeyRelatedField[Any]):
    """A primary key resolved only among the rows of the URL's organisation.

    The scoped manager already limits the queryset to the active scope; the explicit filter on the view's
    organisation is the second lock, so an id of another organisation is simply "does not exist" (400).
    """

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        assert queryset is not None, "declare the field with queryset=Model.objects"
        return queryset.filter(organization=self.context["organization"])


class ProgrammeRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class MemberSerializer(serializers.ModelSerializer[Membership]):
    """A membership as the API shows it. Only ``role`` and ``status`` can be written (PATCH)."""

    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    programmes = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "status", "programmes", "created_at"]
        read_only_fields = ["id", "created_at"]

    @extend_schema_field(ProgrammeRefSerializer(many=True))
    def get_programmes(self, membership: Membership) -> list[dict[str, Any]]:
        # Reads the prefetched links (the view prefetches them with their programme): no query per member.
        return [{"id": link.programme.pk, "name": link.programme.name} for link in membership.programme_links.all()]


class MemberUpdateSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    status = serializers.ChoiceField(choices=Membership.Status.choices, required=False)


class MemberFilterSerializer(serializers.Serializer[Any]):
    """The query string of the members list; an unknown role or status is a 400, not an empty page."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    status = serializers.ChoiceField(choices=Membership.Status.choices, required=False)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string", "description": "Addresses separated by commas, semicolons, spaces or new lines."},
        ]
    }
)
class EmailListField(serializers.Field[str, Any, Any, Any]):
    """A list of addresses, or one pasted string of them; returned as one string for ``parse_email_list``."""

    default_error_messages = {
        "invalid": _("Give a list of e-mail addresses or a text with addresses separated by commas."),
    }

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            return data
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return "\n".join(data)
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


class InviteSerializer(serializers.Serializer[Any]):
    emails = EmailListField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.AMBASSADOR)
    programme = OrganizationRelatedField(queryset=Programme.objects, allow_null=True, required=False, default=None)


class InviteResultSerializer(serializers.Serializer[Any]):
    invited = serializers.ListField(child=serializers.EmailField())
    already_members = serializers.ListField(child=serializers.EmailField())
    already_invited = serializers.ListField(child=serializers.EmailField())
    invalid = serializers.ListField(child=serializers.CharField())


class ProgrammeSerializer(serializers.ModelSerializer[Programme]):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Programme
        fields = ["id", "name", "slug", "description", "member_count", "created_at"]
        read_only_fields = ["id", "created_at"]


class ProgrammeMemberSerializer(serializers.ModelSerializer[ProgrammeMember]):
    membership = OrganizationRelatedField(queryset=Membership.objects)
    email = serializers.EmailField(source="membership.user.email", read_only=True)
    full_name = serializers.CharField(source="membership.user.full_name", read_only=True)
    is_admin = serializers.BooleanField(default=False)

    class Meta:
        model = ProgrammeMember
        fields = ["membership", "email", "full_name", "is_admin"]
