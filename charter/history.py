"""The sentences of the charter app's audit kinds and the objects they name (registered by ``CharterConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
from advocacy.models import Membership
from charter.models import CharterVersion, Incident, TrainingCompletion, TrainingModule


def _completions(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
    rows = TrainingCompletion.objects.filter(organization=reader.organization_id, pk__in=numeric(ids))
    return {str(row.pk): Ref(row.module.title) for row in rows.select_related("module")}


def _number(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"number": data.get("number", data.get("version", "…")), "count": data.get("count", 0)}


def _incident(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {
        "kind": choice_label(Incident.Kind, data.get("kind", "")),
        "old": choice_label(Incident.Status, data.get("from", "")),
        "new": choice_label(Incident.Status, data.get("to", "")),
    }


def register() -> None:
    register_object_type(
        "charter.charterversion", ObjectType(gone=_("the charter"), resolve=named_by(CharterVersion, "title"))
    )
    register_object_type("charter.charteracceptance", ObjectType(gone=_("the charter")))
    register_object_type("charter.compliancerules", ObjectType(gone=_("the compliance rules")))
    register_object_type(
        "charter.trainingmodule", ObjectType(gone=_("a training module"), resolve=named_by(TrainingModule, "title"))
    )
    register_object_type("charter.trainingcompletion", ObjectType(gone=_("a training module"), resolve=_completions))
    register_object_type("charter.incident", ObjectType(gone=_("an incident")))
    register_kinds(
        {
            "charter.draft_saved": Kind(_("Charter draft saved"), _("%(actor)s saved a draft of the charter")),
            "charter.published": Kind(
                _("Charter published"), _("%(actor)s published version %(number)s of the charter"), _number
            ),
            "charter.accepted": Kind(
                _("Charter accepted"), _("%(actor)s accepted version %(number)s of the charter"), _number
            ),
            "charter.left": Kind(_("Programme left"), _("%(actor)s withdrew from the programme and its charter")),
            "charter.reminders_sent": Kind(
                _("Charter reminders sent"),
                _("%(actor)s reminded the members who had not accepted the charter (%(count)s)"),
                _number,
            ),
            "compliance.rules_created": Kind(_("Compliance rules set"), _("%(actor)s set the compliance rules")),
            "compliance.rules_changed": Kind(
                _("Compliance rules changed"), _("%(actor)s changed the compliance rules")
            ),
            "training.module_saved": Kind(
                _("Training module saved"), _("%(actor)s saved the training module %(object)s")
            ),
            "training.completed": Kind(
                _("Training module completed"), _("%(actor)s completed the training module %(object)s")
            ),
            "incident.reported": Kind(_("Incident reported"), _("%(actor)s reported an incident: %(kind)s"), _incident),
            "incident.status_changed": Kind(
                _("Incident status changed"),
                _("%(actor)s moved an incident from “%(old)s” to “%(new)s”"),
                _incident,
            ),
            "incident.note_added": Kind(_("Incident note added"), _("%(actor)s added a note to an incident")),
            "incident.post_withdrawn": Kind(
                _("Post withdrawn after an incident"),
                _("%(actor)s withdrew the post %(post)s after an incident"),
                refs={"post": ("content.post", "post")},
            ),
        }
    )
