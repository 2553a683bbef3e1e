"""Delivering reminders that came due: a notice in the app, and an email when SMTP is set.

Run by the job engine (``taskchat.jobs``), any number of workers at once, on SQLite or
PostgreSQL. How a reminder is delivered once and never lost:

1. **Claim** (one short write transaction): due pending reminders not leased by anyone are
   leased to this worker for ``LEASE`` (``claimed_until``, ``claim_token``). On PostgreSQL the
   candidates are read ``FOR UPDATE SKIP LOCKED``, so two workers claiming at once take
   different rows without waiting on each other; on SQLite the transaction holds the database's
   write lock (``BEGIN IMMEDIATE``), which serialises claims across processes.
2. **Notice**: the in-app notice is inserted with ``ON CONFLICT DO NOTHING`` on (reminder,
   moment) — the sent mark that makes a repeat harmless.
3. **Email** (outside any transaction: SMTP may be slow) with a Message-ID made of the same
   pair, so a repeated send is recognisably the same message.
4. **Mark** ``sent`` (only while the lease is still ours), each email in a short commit of its
   own right after SMTP took it. A worker killed anywhere before this leaves the reminder
   pending; its lease runs out and another worker delivers it again: at least once, and at
   most the one message a worker thread had in flight is sent twice. A refusing SMTP server
   means a retry after a growing pause, then ``failed`` (shown on the notice in the app).

A claim's token starts with the worker's process id, so what a process holds can be told
from the rows (``claim_token``) when one dies.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formatdate
from typing import Any

from flask import current_app
from prometheus_client import Counter, Histogram
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import transactions
from .extensions import db
from .models import Notification, Reminder, Task, User
from .reminders import zone
from .transactions import writing

log = logging.getLogger(__name__)

# How long a claim holds; a worker killed mid-batch leaves its reminders to others after it.
LEASE = timedelta(seconds=int(os.environ.get("TASKCHAT_REMINDER_LEASE_SECONDS", "120")))
# Pauses before email attempts 2, 3, 4; after the 4th refusal the reminder is failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
MAX_ATTEMPTS = len(BACKOFF) + 1
BATCH = int(os.environ.get("TASKCHAT_REMINDER_BATCH", "500"))

SENT = Counter("taskchat_reminders_sent", "Reminders delivered, by channel (app, email).", ["channel"], registry=None)
FAILED = Counter("taskchat_reminders_failed", "Reminder deliveries refused, by channel (email).", ["channel"], registry=None)
DELAY = Histogram(
    "taskchat_reminder_delay_seconds",
    "From a reminder's due time to its delivery, by channel: the in-app notice, the email handed to SMTP.",
    ["channel"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
    registry=None,
)
METRICS = (SENT, FAILED, DELAY)


@dataclass
class Delivered:
    """What one run did."""

    claimed: int = 0
    notices: int = 0
    emails: int = 0
    retries: int = 0
    failed: int = 0


Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def claim(now: datetime, token: str, limit: int = BATCH) -> list[int]:
    """Lease up to ``limit`` due reminders to ``token``; their ids."""
    stmt = (
        select(Reminder.id)
        .where(
            Reminder.state == "pending",
            Reminder.remind_at <= now,
            or_(Reminder.claimed_until.is_(None), Reminder.claimed_until < now),
            or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
        )
        .order_by(Reminder.remind_at, Reminder.id)
        .limit(limit)
    )
    with writing():
        if db.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(stmt))
        if ids:
            db.session.execute(
                update(Reminder).where(Reminder.id.in_(ids)).values(claimed_until=now + LEASE, claim_token=token)
            )
    return ids


def _insert_notices(rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Notification.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["reminder_id", "remind_at"]).returning(table.c.id)
    # Only the rows inserted come back (a repeat inserts nothing).
    return len(transactions.connection().execute(stmt, rows).all())


_REMINDERS = Reminder.__table__
# Only while the lease is ours: a worker whose lease ran out does not mark another's delivery.
_MARK_SENT = (
    update(_REMINDERS)
    .where(_REMINDERS.c.id == bindparam("b_id"), _REMINDERS.c.claim_token == bindparam("b_token"),
           _REMINDERS.c.state == "pending")
    .values(state="sent", sent_at=bindparam("b_sent_at"), attempts=_REMINDERS.c.attempts + 1,
            claimed_until=None, claim_token=None, next_attempt_at=None, last_error=None)
)


def deliver(ids: list[int], token: str, clock: Clock = _utcnow, claimed_at: datetime | None = None) -> Delivered:
    """Deliver the reminders this worker claimed (``claim``, at ``claimed_at``)."""
    done = Delivered(claimed=len(ids))
    if not ids:
        return done
    rows = db.session.execute(
        select(Reminder, Task, User)
        .join(Task, Task.id == Reminder.task_id)
        .join(User, User.id == Reminder.user_id)
        .where(Reminder.id.in_(ids), Reminder.claim_token == token)
    ).all()
    mail = bool(current_app.config.get("MAIL_SERVER"))
    now = clock()
    notices = [
        {"user_id": user.id, "reminder_id": reminder.id, "task_id": task.id, "remind_at": reminder.remind_at,
         "title": task.title, "created_at": now}
        for reminder, task, user in rows
    ]
    by_email = [(r, t, u) for r, t, u in rows if mail and u.email_reminders]
    app_only = [(r, t, u) for r, t, u in rows if not (mail and u.email_reminders)]
    with writing():
        done.notices = _insert_notices(notices)
        if app_only:
            transactions.connection().execute(
                _MARK_SENT, [{"b_id": r.id, "b_token": token, "b_sent_at": now} for r, _t, _u in app_only]
            )
    for _ in range(done.notices):
        SENT.labels(channel="app").inc()
    # The lease runs from the claim, not from here: the notices above took time already.
    renewed = claimed_at or clock()
    with Mailer() as mailer:
        for reminder, task, user in by_email:
            if clock() - renewed > LEASE / 4:
                # A long batch keeps its claims: another worker must not take them over while
                # this one is still sending (it would send them too).
                renewed = clock()
                _renew(ids, token, renewed)
            if _email_one(mailer, reminder, task, user, token, clock, done):
                _mark_sent({"b_id": reminder.id, "b_token": token, "b_sent_at": clock()})
    return done


def _mark_sent(sent: dict[str, Any]) -> None:
    """Mark one email sent, right after SMTP took it, in a commit of its own: a worker killed
    after the hand-off and before this sends that one message again (same Message-ID), none
    other. On PostgreSQL the commit does not wait for its WAL flush (``synchronous_commit``
    off for this transaction only): the mark's cost is a round trip, not a disk flush, and
    what a crash of the database could lose is the mark of the last moments' emails, which
    are then sent again — the same at-least-once as a killed worker, never a lost reminder."""
    with writing():
        connection = transactions.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        connection.execute(_MARK_SENT, sent)


def _renew(ids: list[int], token: str, now: datetime) -> None:
    with writing():
        transactions.connection().execute(
            update(_REMINDERS)
            .where(_REMINDERS.c.id.in_(ids), _REMINDERS.c.claim_token == token, _REMINDERS.c.state == "pending")
            .values(claimed_until=now + LEASE)
        )


def _email_one(mailer: Mailer, reminder: Reminder, task: Task, user: User, token: str, clock: Clock, done: Delivered) -> bool:
    """Hand one reminder's email to SMTP; False (and the retry noted) when it is refused."""
    try:
        mailer.send(reminder_message(reminder.id, reminder.remind_at, task, user))
    except (smtplib.SMTPException, OSError) as exc:
        _refused(reminder.id, token, clock(), exc, done)
        return False
    done.emails += 1
    SENT.labels(channel="email").inc()
    DELAY.labels(channel="email").observe(max((clock() - reminder.remind_at).total_seconds(), 0))
    return True


def _refused(reminder_id: int, token: str, now: datetime, exc: Exception, done: Delivered) -> None:
    """An SMTP refusal: try again after a pause, or give up after ``MAX_ATTEMPTS``."""
    FAILED.labels(channel="email").inc()
    with writing():
        reminder = db.session.get(Reminder, reminder_id)
        if reminder is None or reminder.claim_token != token:
            return
        reminder.attempts += 1
        reminder.last_error = f"{type(exc).__name__}: {exc}"[:500]
        reminder.claimed_until = None
        reminder.claim_token = None
        if reminder.attempts >= MAX_ATTEMPTS:
            reminder.state = "failed"
            done.failed += 1
            log.warning("reminder %s failed after %s attempts: %s", reminder_id, reminder.attempts, exc)
        else:
            reminder.next_attempt_at = now + BACKOFF[reminder.attempts - 1]
            done.retries += 1


# Readable text bodies (quoted-printable, not base64) in UTF-8.
_QUOTED_PRINTABLE = Charset("utf-8")
_QUOTED_PRINTABLE.body_encoding = QP


def reminder_message(reminder_id: int, remind_at: datetime, task: Task, user: User) -> MIMEText:
    """One message per reminder and moment, with a link to the task."""
    config = current_app.config
    tz = zone(user)
    local = (task.due_at or remind_at).astimezone(tz)
    base = config["TASKCHAT_BASE_URL"].rstrip("/")
    when = local.strftime("%a %b %d, %H:%M") if task.due_has_time else local.strftime("%a %b %d")
    # compat32 messages: the modern EmailMessage parses every header it is given (a third of
    # the cost of sending to a local server).
    message = MIMEText(
        f"{task.title}\n\nDue {when} ({tz}).\nTask {task.number}: {base}/?task={task.number}\n\n"
        "You get these because reminder emails are on; turn them off in Settings.\n",
        "plain", _QUOTED_PRINTABLE,
    )
    subject = f"Reminder: {task.title}"
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = user.email
    message["Date"] = formatdate(localtime=False)
    # The same reminder sent again (a worker killed after sending) has the same id.
    domain = (config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip("> ") or "taskchat")
    message["Message-ID"] = f"<reminder-{reminder_id}-{remind_at.strftime('%Y%m%dT%H%M%SZ')}@{domain}>"
    return message


def _connect() -> smtplib.SMTP:
    """A session with the SMTP server of the MAIL_* settings (TLS and login as they say)."""
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), config["MAIL_TIMEOUT"]
    if config.get("MAIL_USE_SSL"):
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    # SMTP is a dialogue of small writes: without this, Nagle's algorithm and delayed ACKs
    # hold each message for 40 ms.
    server.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if config.get("MAIL_USE_TLS"):
            server.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        server.close()
        raise
    return server


class Mailer:
    """One SMTP session for a batch of messages, opened on the first and again after a failure
    (a refused message may have left the session unusable)."""

    def __init__(self) -> None:
        self._server: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def send(self, message: Message) -> None:
        if self._server is None:
            self._server = _connect()
        try:
            self._server.send_message(message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._server is not None:
            try:
                self._server.quit()
            except (smtplib.SMTPException, OSError):
                self._server.close()
            self._server = None

    def __exit__(self, *_exc) -> None:
        self.close()


def send_email(message: Message) -> None:
    """Hand one ``message`` to the SMTP server of the MAIL_* settings."""
    with Mailer() as mailer:
        mailer.send(message)


NOTICE_BATCH = 2000


def publish_notices(now: datetime, limit: int = NOTICE_BATCH) -> int:
    """The in-app notices of due pending reminders that have none yet, without claiming them:
    a notice is idempotent, so the app shows every due reminder at once, whatever the email
    of the claimed ones is waiting for. How many were added."""
    reminders, tasks, notices = _REMINDERS, Task.__table__, Notification.__table__
    due = (
        select(reminders.c.user_id, reminders.c.id, reminders.c.task_id, reminders.c.remind_at, tasks.c.title,
               bindparam("b_now", now, type_=Reminder.__table__.c.remind_at.type))
        .join(tasks, tasks.c.id == reminders.c.task_id)
        .outerjoin(notices, (notices.c.reminder_id == reminders.c.id) & (notices.c.remind_at == reminders.c.remind_at))
        .where(reminders.c.state == "pending", reminders.c.remind_at <= now, notices.c.id.is_(None))
        .order_by(reminders.c.remind_at)
        .limit(limit)
    )
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(notices)
        .from_select(["user_id", "reminder_id", "task_id", "remind_at", "title", "created_at"], due)
        .on_conflict_do_nothing(index_elements=["reminder_id", "remind_at"])
        .returning(notices.c.remind_at)
    )
    with writing():
        added = transactions.connection().execute(stmt).scalars().all()
    for remind_at in added:
        SENT.labels(channel="app").inc()
        DELAY.labels(channel="app").observe(max((now - remind_at).total_seconds(), 0))
    return len(added)


def new_token() -> str:
    """A claim token: this process's id, then a random part (fits ``claim_token``)."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:24]}"


def deliver_due(clock: Clock = _utcnow, batch: int = BATCH, rounds: int = 1000,
                on_backlog: Callable[[], None] | None = None,
                on_claim: Callable[[datetime], None] | None = None) -> Delivered:
    """Show every due reminder in the app, then claim and deliver them batch by batch
    (bounded by ``rounds``). The job engine's hooks: ``on_backlog`` is called once, when a
    claim comes back full (more are due than one batch: another worker can join in);
    ``on_claim`` with the moment each claim's lease runs out (a run then takes over what this
    one leaves, should it die)."""
    total = Delivered()
    token = new_token()
    for _ in range(rounds):
        added = publish_notices(clock())
        total.notices += added
        # Not "fewer than a batch": a run publishing at the same time may have taken part of
        # this one's rows, and more may be left behind them.
        if not added:
            break
    for _ in range(rounds):
        claimed_at = clock()
        ids = claim(claimed_at, token, batch)
        if not ids:
            break
        if on_claim is not None:
            on_claim(claimed_at + LEASE)
        if on_backlog is not None and len(ids) >= batch:
            on_backlog()
            on_backlog = None
        done = deliver(ids, token, clock, claimed_at)
        for name in ("claimed", "notices", "emails", "retries", "failed"):
            setattr(total, name, getattr(total, name) + getattr(done, name))
        db.session.remove()
    return total



def coming_due(after: datetime, until: datetime, limit: int = 200) -> list[datetime]:
    """The distinct moments of pending reminders in (``after``, ``until``], soonest first:
    what the sweep schedules runs for, so a reminder is not left for the next sweep."""
    return list(db.session.scalars(
        select(Reminder.remind_at).distinct()
        .where(Reminder.state == "pending", Reminder.remind_at > after, Reminder.remind_at <= until)
        .order_by(Reminder.remind_at).limit(limit)
    ))


def first_lease_end(now: datetime) -> datetime | None:
    """When the first lease on a due pending reminder runs out (another worker holds it, or
    held it and died): the moment a run can take it over."""
    return db.session.scalar(
        select(func.min(Reminder.claimed_until))
        .where(Reminder.state == "pending", Reminder.remind_at <= now, Reminder.claimed_until >= now)
    )
