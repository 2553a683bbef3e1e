"""A real SMTP server on loopback (aiosmtpd), one that accepts and one that refuses."""

from __future__ import annotations

import email
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from tests.helpers.app import free_port
from tests.web.conftest import browser, new_context, page_user  # noqa: F401  (package-scoped browser; screenshot is in tests/conftest.py)


@dataclass
class Mailbox:
    refuse: bool = False
    messages: list[email.message.Message] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refused += 1
            return "554 5.7.1 Refused by the test server"
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    """An accepting SMTP server; ``.mailbox.refuse = True`` makes it refuse every message."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.mailbox = mailbox
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app, smtp):
    """The app, sending reminder email to the loopback server."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER="taskchat <reminders@example.com>",
                      TASKCHAT_BASE_URL="https://tasks.example.com")
    return app
