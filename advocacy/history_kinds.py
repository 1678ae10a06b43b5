"""The sentences of the core's audit kinds and the objects they name (registered by ``AdvocacyConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from advocacy.history import (
    Kind,
    ObjectType,
    Ref,
    choice_label,
    named_by,
    numeric,
    register_kinds,
    register_object_type,
)
from advocacy.models import ApiToken, Invitation, Membership, Programme, ProgrammeMember
from advocacy.roles import Role


def _member_url(reader: Membership, pk: int) -> str:
    return reverse("member_detail", args=[reader.organization.slug, pk]) if reader.has_perm("members.view") else ""


def _programme_url(reader: Membership, pk: int) -> str:
    if not reader.has_perm("programmes.view"):
        return ""
    return reverse("programme_detail", args=[reader.organization.slug, pk])


def _memberships(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
    rows = Membership.objects.filter(organization=reader.organization_id, pk__in=numeric(ids)).select_related("user")
    return {str(row.pk): Ref(row.user.display_name, _member_url(reader, row.pk)) for row in rows}


def _programmes(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
    rows = Programme.objects.filter(organization=reader.organization_id, pk__in=numeric(ids))
    return {str(row.pk): Ref(row.name, _programme_url(reader, row.pk)) for row in rows}


def _programme_members(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
    rows = ProgrammeMember.objects.filter(organization=reader.organization_id, pk__in=numeric(ids)).select_related(
        "membership__user", "programme"
    )
    return {
        str(row.pk): Ref(
            row.membership.user.display_name,
            _member_url(reader, row.membership_id),
            related=(("programme", Ref(row.programme.name, _programme_url(reader, row.programme_id))),),
        )
        for row in rows
    }


def _role(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"role": choice_label(Role, data.get("role", ""))}


def _role_change(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"old": choice_label(Role, data.get("from", "")), "new": choice_label(Role, data.get("to", ""))}


def _invitation(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"email": data.get("email", ""), **_role(data)}


def _programme_role(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"as": _("as a programme admin") if data.get("is_admin") else _("as a member")}


def register() -> None:
    register_object_type("advocacy.organization", ObjectType(gone=_("the organisation")))
    register_object_type("advocacy.membership", ObjectType(gone=_("a former member"), resolve=_memberships))
    register_object_type("advocacy.programme", ObjectType(gone=_("a deleted programme"), resolve=_programmes))
    register_object_type(
        "advocacy.programmemember", ObjectType(gone=_("a former programme member"), resolve=_programme_members)
    )
    register_object_type(
        "advocacy.invitation",
        ObjectType(gone=_("an invitation"), resolve=named_by(Invitation, "email"), name_keys=("email",)),
    )
    register_object_type(
        "advocacy.apitoken", ObjectType(gone=_("a deleted API token"), resolve=named_by(ApiToken, "name"))
    )
    register_kinds(
        {
            "organization.created": Kind(_("Organisation created"), _("%(actor)s created the organisation")),
            "organization.updated": Kind(
                _("Organisation settings changed"),
                _("%(actor)s changed the settings of the organisation"),
            ),
            "member.added": Kind(_("Member added"), _("%(actor)s added %(object)s to the organisation")),
            "member.role_changed": Kind(
                _("Member’s role changed"),
                _("%(actor)s changed the role of %(object)s from %(old)s to %(new)s"),
                _role_change,
            ),
            "member.suspended": Kind(_("Member suspended"), _("%(actor)s suspended %(object)s")),
            "member.reactivated": Kind(_("Member reactivated"), _("%(actor)s reactivated %(object)s")),
            "member.removed": Kind(
                _("Member removed"),
                _("%(actor)s removed %(email)s (%(role)s) from the organisation"),
                _invitation,
            ),
            "invitation.sent": Kind(_("Invitation sent"), _("%(actor)s invited %(email)s as %(role)s"), _invitation),
            "invitation.revoked": Kind(_("Invitation revoked"), _("%(actor)s revoked the invitation of %(object)s")),
            "invitation.accepted": Kind(
                _("Invitation accepted"), _("%(object)s accepted the invitation and joined as %(role)s"), _role
            ),
            "programme.created": Kind(_("Programme created"), _("%(actor)s created the programme %(object)s")),
            "programme.updated": Kind(
                _("Programme changed"),
                _("%(actor)s changed the settings of the programme %(object)s"),
            ),
            "programme.deleted": Kind(_("Programme deleted"), _("%(actor)s deleted the programme %(object)s")),
            "programme.member_added": Kind(
                _("Member added to a programme"),
                _("%(actor)s added %(object)s to the programme %(programme)s %(as)s"),
                _programme_role,
            ),
            "programme.member_changed": Kind(
                _("Programme member changed"),
                _("%(actor)s made %(object)s %(as)s of the programme %(programme)s"),
                _programme_role,
            ),
            "programme.member_removed": Kind(
                _("Member removed from a programme"),
                _("%(actor)s removed %(member)s from the programme %(object)s"),
                refs={"member": ("advocacy.membership", "membership")},
            ),
            "api_token.created": Kind(
                _("API token created"), _("%(actor)s created the API token %(object)s with the role %(role)s"), _role
            ),
            "api_token.revoked": Kind(_("API token revoked"), _("%(actor)s revoked the API token %(object)s")),
            "worker.probe": Kind(_("Background worker checked"), _("%(actor)s checked its background worker")),
        }
    )
