"""A real SMTP server on 127.0.0.1 (aiosmtpd) that Django's SMTP backend talks to, and that refuses the addresses a
test names, as a mail server refuses a mailbox (550, or 450 once). Import the ``smtp_server`` fixture where used."""

import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller


@dataclass
class SmtpServer:
    refused: set[str] = field(default_factory=set)
    # Refused once, accepted afterwards (a mailbox over quota for a moment).
    refused_once: set[str] = field(default_factory=set)
    received: list[Message] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return sorted(message["To"] for message in self.received)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address in self.refused_once:
            self.refused_once.discard(address)
            return "450 4.2.2 Mailbox full, try again later"
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.received.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """Django sends through SMTP to this server for the test's duration."""
    handler = SmtpServer()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()
