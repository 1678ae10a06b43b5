"""Pages of connections, under /o/<org>/ (the scope middleware applies), and the networks' public OAuth callback.

The member's connections are found by network (one live connection per member and network), never by an id from
the URL: nobody can reach another member's connection through these pages.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from advocacy.errors import ServiceError
from advocacy.views.base import ConfirmActionView, OrganizationPermissionMixin, OrgUrlMixin, safe_next
from ambassadors.models import SocialConnection
from ambassadors.presentation import connection_health, health_rows
from ambassadors.selectors import member_connections, organization_live_connections
from ambassadors.services.connections import (
    connect_complete,
    connect_start,
    connection_disconnect,
    connections_check_readable,
    network_label,
    pending_next_path,
    pending_return_path,
)

NETWORKS = SocialConnection.Provider


def _network(provider: str) -> str:
    if provider not in NETWORKS.values:
        raise Http404
    return provider


def disconnect_wording(connection: SocialConnection) -> dict[str, str]:
    """What disconnecting asks, on its confirmation page and in the connection card's dialog alike."""
    network = connection.get_provider_display()
    return {
        "title": _("Disconnect %(network)s") % {"network": network},
        "question": _(
            "Relais will forget the access to your %(network)s account %(name)s. Shares scheduled on it will "
            "wait for you to connect again. Disconnect it?"
        )
        % {"network": network, "name": connection.display_name or connection.username},
        "button": _("Disconnect"),
    }


class ConnectionsView(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    """The member's LinkedIn and X cards: connect, reconnect, disconnect, and how each connection is doing."""

    permission = "connections.own"
    template_name = "ambassadors/connections.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        mine = list(member_connections(membership=self.membership))
        connections_check_readable(connections=mine)
        live = {connection.provider: connection for connection in mine}
        cards = []
        for provider, label in NETWORKS.choices:
            connection = live.get(provider)
            cards.append(
                {
                    "provider": provider,
                    "label": label,
                    "connection": connection,
                    "health": connection_health(connection) if connection else None,
                    "disconnect": disconnect_wording(connection) if connection else None,
                }
            )
        return super().get_context_data(
            cards=cards,
            # The page the member came from to (re)connect (the composer): the network's answer goes back there.
            next_path=safe_next(self.request, self.request.GET.get("next", "")),
            can_see_health=self.membership.has_perm("connections.health"),
            sandbox=settings.RELAIS_SANDBOX_NETWORKS,
            **kwargs,
        )


class ConnectionHealthView(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    """For admins: how everyone's connections are doing (names, networks and states; never a token)."""

    permission = "connections.health"
    template_name = "ambassadors/connections_health.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        rows = health_rows(organization_live_connections(organization=self.organization))
        counts = {
            state: sum(1 for row in rows if row.health.state == state) for state in ("expiring", "needs_reconnect")
        }
        return super().get_context_data(rows=rows, counts=counts, **kwargs)


class ConnectStartView(OrgUrlMixin, OrganizationPermissionMixin, View):
    """POST: start connecting (or reconnecting) the member's account; the browser goes to the network's consent."""

    permission = "connections.own"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = _network(kwargs["provider"])
        next_path = safe_next(request, request.POST.get("next", ""))
        try:
            url = connect_start(
                request=request, membership=self.membership, provider_name=provider, next_path=next_path
            )
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect(next_path or self.org_url("connections"))
        return HttpResponseRedirect(url)


class ConnectCallbackView(OrgUrlMixin, OrganizationPermissionMixin, View):
    """Where the public callback sends the browser back, inside the organisation, so the scope middleware has
    checked membership before the code is exchanged (in this request: X codes live 30 s)."""

    permission = "connections.own"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = _network(kwargs["provider"])
        # Read before connect_complete consumes the attempt.
        next_path = pending_next_path(
            session=request.session, provider_name=provider, state=request.GET.get("state", "")
        )
        try:
            connection = connect_complete(
                request=request, membership=self.membership, provider_name=provider, query=request.GET
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your %(network)s account %(name)s is connected.")
                % {"network": connection.get_provider_display(), "name": connection.display_name},
            )
        return redirect(next_path or self.org_url("connections") + f"#{provider}")


class DisconnectView(ConfirmActionView):
    permission = "connections.own"

    def _own(self) -> SocialConnection | None:
        provider = _network(self.kwargs["provider"])
        return member_connections(membership=self.membership).filter(provider=provider).first()

    def get_object(self) -> SocialConnection:
        connection = self._own()
        if connection is None:
            raise Http404
        return connection

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Looked up once: ConfirmActionView.get would look it up again through get_object.
        connection = self._own()
        if connection is None:
            messages.info(request, _("This account is not connected."))
            return redirect(self.org_url("connections"))
        return self.render_to_response(self.confirmation(connection))

    def confirmation(self, obj: SocialConnection) -> dict[str, str]:
        return {**disconnect_wording(obj), "cancel_url": self.org_url("connections")}

    def perform(self, obj: SocialConnection) -> str:
        connection_disconnect(connection=obj, by=self.actor)
        return _("Your %(network)s account is disconnected.") % {"network": obj.get_provider_display()}


def oauth_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The one redirect URI registered with each network (it cannot be per organisation). Sends the browser on to
    the organisation's callback of the attempt this session started; an unknown state stops here."""
    provider = _network(provider)
    state = request.GET.get("state", "")
    target = pending_return_path(session=request.session, provider_name=provider, state=state)
    if target is None:
        context = {"network": network_label(provider)}
        return render(request, "ambassadors/connections_callback_invalid.html", context, status=400)
    return HttpResponseRedirect(f"{target}?{request.GET.urlencode()}")


urlpatterns: list[URLPattern] = [
    path("connections/", ConnectionsView.as_view(), name="connections"),
    path("connections/health/", ConnectionHealthView.as_view(), name="connections_health"),
    path("connections/<str:provider>/connect/", ConnectStartView.as_view(), name="connection_connect"),
    path("connections/<str:provider>/callback/", ConnectCallbackView.as_view(), name="connection_callback"),
    path("connections/<str:provider>/disconnect/", DisconnectView.as_view(), name="connection_disconnect"),
]
