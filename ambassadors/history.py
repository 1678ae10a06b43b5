"""The sentences of the ambassadors app's audit kinds and the objects they name (registered by
``AmbassadorsConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from advocacy.history import Kind, ObjectType, Ref, choice_label, numeric, register_kinds, register_object_type
from advocacy.models import Membership
from ambassadors.models import Share, SocialConnection
from content.history import post_refs
from content.models import Network


def _shares(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
    """A share is named by its post (only a post the reader may see) and its network; its member comes along."""
    rows = list(
        Share.objects.filter(organization=reader.organization_id, pk__in=numeric(ids)).select_related(
            "membership__user"
        )
    )
    posts = post_refs(reader, [str(row.post_id) for row in rows])
    return {
        str(row.pk): Ref(
            choice_label(Network, row.network),
            related=(
                ("post", posts.get(str(row.post_id), Ref(str(_("a post"))))),
                ("member", Ref(row.membership.user.display_name)),
            ),
        )
        for row in rows
    }


def _connections(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
    rows = SocialConnection.objects.filter(organization=reader.organization_id, pk__in=numeric(ids))
    return {str(row.pk): Ref(choice_label(SocialConnection.Provider, row.provider)) for row in rows}


def _network(data: Mapping[str, Any]) -> Mapping[str, Any]:
    network = data.get("network") or data.get("provider") or ""
    return {"network": choice_label(Network, network) if network else _("a network")}


def _count(data: Mapping[str, Any]) -> Mapping[str, Any]:
    shares = data.get("shares")
    return {"count": len(shares) if isinstance(shares, list) else 0}


def _share(label: Any, sentence: Any) -> Kind:
    return Kind(label, sentence, _network)


def register() -> None:
    register_object_type("ambassadors.share", ObjectType(gone=_("a deleted share"), resolve=_shares))
    register_object_type("ambassadors.socialconnection", ObjectType(gone=_("a network account"), resolve=_connections))
    register_object_type("ambassadors.publishingsettings", ObjectType(gone=_("the publishing settings")))
    register_object_type("ambassadors.ambassadorprofile", ObjectType(gone=_("a member's notification settings")))
    register_kinds(
        {
            "share.scheduled": _share(_("Share scheduled"), _("%(actor)s scheduled a share of %(post)s on %(object)s")),
            "share.published_now": _share(
                _("Share sent now"), _("%(actor)s asked to publish a share of %(post)s on %(object)s now")
            ),
            "share.cancelled": _share(_("Share cancelled"), _("%(actor)s cancelled a share of %(post)s on %(object)s")),
            "share.rescheduled": _share(
                _("Share rescheduled"), _("%(actor)s moved a share of %(post)s on %(object)s to another time")
            ),
            "share.text_changed": _share(
                _("Share text edited"), _("%(actor)s edited the text of a share of %(post)s on %(object)s")
            ),
            "share.marked_posted": _share(
                _("Share marked as posted"), _("%(actor)s marked a share of %(post)s on %(object)s as posted")
            ),
            "share.retried": _share(_("Share retried"), _("%(actor)s tried a share of %(post)s on %(object)s again")),
            "share.reconcile_resent": _share(
                _("Share sent again"), _("%(actor)s sent a share of %(post)s on %(object)s again after checking")
            ),
            "share.published": _share(
                _("Share published"), _("%(actor)s published %(member)s’s share of %(post)s on %(object)s")
            ),
            "share.failed": _share(
                _("Share failed"), _("%(actor)s could not publish %(member)s’s share of %(post)s on %(object)s")
            ),
            "share.needs_action": _share(
                _("Share waiting for its member"),
                _("%(actor)s stopped %(member)s’s share of %(post)s on %(object)s: the member must act"),
            ),
            "share.manual": _share(
                _("Share to post by hand"),
                _("%(actor)s handed %(member)s’s share of %(post)s on %(object)s back to post by hand"),
            ),
            "share.cancelled_member_left": Kind(
                _("Shares cancelled: member left"),
                _("%(actor)s cancelled the shares of %(object)s, who left (%(count)s)"),
                _count,
            ),
            "share.cancelled_post_withdrawn": Kind(
                _("Shares cancelled: post withdrawn"),
                _("%(actor)s cancelled the shares of the withdrawn post %(object)s (%(count)s)"),
                _count,
            ),
            "connection.connected": Kind(
                _("Network account connected"), _("%(actor)s connected their %(network)s account"), _network
            ),
            "connection.reconnected": Kind(
                _("Network account reconnected"), _("%(actor)s reconnected their %(network)s account"), _network
            ),
            "connection.disconnected": Kind(
                _("Network account disconnected"), _("%(actor)s disconnected a %(network)s account"), _network
            ),
            "publishing.settings_changed": Kind(
                _("Publishing settings changed"), _("%(actor)s changed the publishing settings")
            ),
            "digest.preferences_changed": Kind(
                _("Notification settings changed"), _("%(actor)s changed their notification settings")
            ),
            "digest.unsubscribed": Kind(
                _("Digest turned off from its e-mail"), _("%(actor)s turned their digest off from its e-mail")
            ),
            "programme.channel_added": Kind(_("Channel added"), _("%(actor)s added a channel to a programme")),
            "programme.channel_deleted": Kind(_("Channel deleted"), _("%(actor)s deleted a programme's channel")),
            "programme.channel_paused": Kind(_("Channel paused"), _("%(actor)s paused a programme's channel")),
            "programme.channel_resumed": Kind(_("Channel resumed"), _("%(actor)s resumed a programme's channel")),
            "programme.channel_tested": Kind(
                _("Channel tested"), _("%(actor)s sent a test message to a programme's channel")
            ),
        }
    )
