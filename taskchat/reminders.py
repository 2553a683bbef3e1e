"""Reminders and repeating tasks: the rules, as functions any surface (or a task service) calls.

Every function takes the user (and the time: tests and the agent inject it) and works inside
the caller's write transaction; none commits. What they keep true:

- a reminder ``before_due_minutes`` is always ``remind_at = due_at - minutes``: moving the task
  moves it (``due_changed``);
- completing or deleting a task cancels its pending reminders, reopening re-arms the ones that
  were cancelled with it (``cancel_with_task`` / ``rearm_with_task``);
- completing a repeating task moves it to its next occurrence, counts the completion and moves
  its reminders with it, on local wall-clock time (``advance``); ``snapshot`` and
  ``undo_advance`` put it back;
- a reminder that becomes pending (added, moved, re-armed, snoozed) to come due before the next
  sweep of the job engine gets a delivery run at its moment once the transaction commits
  (``jobs.arm``), so it is not up to a minute late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from . import recurrence
from .extensions import db
from .models import Notification, Reminder, Task, User, utcnow

MAX_REMINDERS_PER_TASK = 20
MAX_BEFORE_MINUTES = 60 * 24 * 366


class ReminderError(ValueError):
    """A reminder that cannot be set ("task 3 has no due time"), said to the user."""


class ReminderNotFound(ReminderError):
    def __init__(self, reminder_id: int):
        super().__init__(f"There is no reminder {reminder_id}.")


def zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ReminderError(f"'{value}' is not an ISO 8601 time.") from exc
    if value.tzinfo is None:
        raise ReminderError("A reminder time needs a time zone offset.")
    return value.astimezone(UTC)


def add(
    user: User,
    task: Task,
    *,
    remind_at: datetime | str | None = None,
    before_due_minutes: int | None = None,
    now: datetime | None = None,
) -> Reminder:
    """A new pending reminder on ``task`` (one of ``user``'s): at ``remind_at`` or
    ``before_due_minutes`` before its due time. The same moment twice is one reminder."""
    if (remind_at is None) == (before_due_minutes is None):
        raise ReminderError("Give either remind_at or before_due_minutes.")
    if task.user_id != user.id:
        raise ReminderError("That task is not yours.")
    if task.completed:
        raise ReminderError(f"Task {task.number} is already complete.")
    if before_due_minutes is not None:
        if not 0 <= int(before_due_minutes) <= MAX_BEFORE_MINUTES:
            raise ReminderError("before_due_minutes must be from 0 to a year's minutes.")
        if task.due_at is None:
            raise ReminderError(f"Task {task.number} has no due time to remind you before.")
        moment = task.due_at - timedelta(minutes=int(before_due_minutes))
    else:
        moment = _aware(remind_at)  # type: ignore[arg-type]
    existing = list(db.session.scalars(select(Reminder).where(Reminder.task_id == task.id)))
    for reminder in existing:
        if reminder.state == "pending" and reminder.remind_at == moment:
            return reminder
    if sum(r.state == "pending" for r in existing) >= MAX_REMINDERS_PER_TASK:
        raise ReminderError(f"Task {task.number} already has {MAX_REMINDERS_PER_TASK} reminders.")
    reminder = Reminder(
        user_id=user.id,
        task_id=task.id,
        remind_at=moment,
        before_due_minutes=int(before_due_minutes) if before_due_minutes is not None else None,
        state="pending",
        attempts=0,
        created_at=now or utcnow(),
    )
    reminder.task = task
    db.session.add(reminder)
    db.session.flush()
    _arm(reminder)
    return reminder


def _arm(reminder: Reminder) -> None:
    """Ask the job engine for a run at the reminder's moment if the sweep would be late for it
    (on the real clock: the engine runs on it, whatever time a caller injects)."""
    if reminder.state == "pending":
        from . import jobs

        jobs.arm(reminder.remind_at)


def of_task(task: Task) -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).where(Reminder.task_id == task.id).order_by(Reminder.remind_at, Reminder.id)))


def of_user(user: User, *, states: tuple[str, ...] = ("pending",)) -> list[Reminder]:
    """The user's reminders in those states, soonest first."""
    return list(
        db.session.scalars(
            select(Reminder)
            .where(Reminder.user_id == user.id, Reminder.state.in_(states))
            .order_by(Reminder.remind_at, Reminder.id)
        )
    )


def get(user: User, reminder_id: int, task: Task | None = None) -> Reminder:
    """One of ``user``'s reminders (of ``task``, when given), or ``ReminderNotFound``."""
    stmt = select(Reminder).where(Reminder.user_id == user.id, Reminder.id == int(reminder_id))
    if task is not None:
        stmt = stmt.where(Reminder.task_id == task.id)
    found = db.session.scalar(stmt)
    if found is None:
        raise ReminderNotFound(int(reminder_id))
    return found


def remove(user: User, reminder_id: int, task: Task | None = None) -> dict[str, Any]:
    """Delete a reminder (and its notices); what it was."""
    reminder = get(user, reminder_id, task)
    data = reminder.to_dict()
    db.session.delete(reminder)
    db.session.flush()
    return data


def _rearm(reminder: Reminder, moment: datetime) -> None:
    reminder.remind_at = moment
    reminder.state = "pending"
    reminder.attempts = 0
    reminder.sent_at = None
    reminder.next_attempt_at = None
    reminder.last_error = None
    reminder.claimed_until = None
    reminder.claim_token = None
    reminder.cancelled_with_task = False
    _arm(reminder)


def due_changed(task: Task) -> None:
    """Keep the relative reminders of ``task`` at their offset from its (new) due time; with no
    due time left they are cancelled."""
    for reminder in of_task(task):
        if reminder.before_due_minutes is None or reminder.state != "pending":
            continue
        if task.due_at is None:
            reminder.state = "cancelled"
        else:
            reminder.remind_at = task.due_at - timedelta(minutes=reminder.before_due_minutes)
            _arm(reminder)
    db.session.flush()


def cancel_with_task(task: Task) -> int:
    """Completing or deleting ``task``: its pending reminders are cancelled (and marked so that
    reopening it brings them back). How many."""
    count = 0
    for reminder in of_task(task):
        if reminder.state == "pending":
            reminder.state = "cancelled"
            reminder.cancelled_with_task = True
            count += 1
    db.session.flush()
    return count


def rearm_with_task(task: Task) -> int:
    """Reopening ``task``: the reminders its completion cancelled are pending again."""
    count = 0
    for reminder in of_task(task):
        if reminder.state == "cancelled" and reminder.cancelled_with_task:
            moment = reminder.remind_at
            if reminder.before_due_minutes is not None and task.due_at is not None:
                moment = task.due_at - timedelta(minutes=reminder.before_due_minutes)
            _rearm(reminder, moment)
            count += 1
    db.session.flush()
    return count


def pending_specs(task: Task) -> list[dict[str, Any]]:
    """The pending reminders of ``task`` as arguments that recreate them (undo of a delete)."""
    specs = []
    for reminder in of_task(task):
        if reminder.state == "pending":
            if reminder.before_due_minutes is not None:
                specs.append({"before_due_minutes": reminder.before_due_minutes})
            else:
                specs.append({"remind_at": reminder.remind_at.isoformat()})
    return specs


def snapshot(task: Task) -> dict[str, Any]:
    """What ``advance`` changes, as JSON (kept for undo)."""
    return {
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "due_has_time": task.due_has_time,
        "completion_count": task.completion_count or 0,
        "last_completed_at": task.last_completed_at.isoformat() if task.last_completed_at else None,
        "reminders": [
            {
                "id": r.id,
                "remind_at": r.remind_at.isoformat(),
                "state": r.state,
                "attempts": r.attempts,
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            }
            for r in of_task(task)
        ],
    }


def advance(user: User, task: Task, now: datetime) -> bool:
    """Complete one occurrence of a repeating task: count it and move the task (and its
    reminders, on local wall-clock time) to the next occurrence after both its due time and
    ``now``. False when the series is over (the caller completes the task for good)."""
    if not task.recurrence or task.due_at is None:
        return False
    tz = zone(user)
    done = (task.completion_count or 0) + 1
    following = recurrence.next_occurrence(task.recurrence, task.due_at, tz, after=max(task.due_at, now), done=done)
    task.completion_count = done
    task.last_completed_at = now
    if following is None:
        return False
    old_local = task.due_at.astimezone(tz).replace(tzinfo=None)
    shift = following.astimezone(tz).replace(tzinfo=None) - old_local
    for reminder in of_task(task):
        if reminder.state == "cancelled":
            continue
        if reminder.before_due_minutes is not None:
            moment = following - timedelta(minutes=reminder.before_due_minutes)
        else:
            local = reminder.remind_at.astimezone(tz).replace(tzinfo=None) + shift
            moment = local.replace(tzinfo=tz).astimezone(UTC)
        _rearm(reminder, moment)
    task.due_at = following
    db.session.flush()
    return True


def undo_advance(user: User, task: Task, before: dict[str, Any]) -> None:
    """Put a repeating task (and its reminders) back as ``snapshot`` saw it."""
    task.due_at = _aware(before["due_at"]) if before.get("due_at") else None
    task.due_has_time = bool(before.get("due_has_time"))
    task.completion_count = int(before.get("completion_count") or 0)
    task.last_completed_at = _aware(before["last_completed_at"]) if before.get("last_completed_at") else None
    kept = {int(r["id"]): r for r in before.get("reminders", [])}
    for reminder in of_task(task):
        old = kept.get(reminder.id)
        if old is None:
            continue
        reminder.remind_at = _aware(old["remind_at"])
        reminder.state = old["state"]
        reminder.attempts = int(old["attempts"])
        reminder.sent_at = _aware(old["sent_at"]) if old.get("sent_at") else None
        reminder.claimed_until = None
        _arm(reminder)
    db.session.flush()


def stop_repeating(task: Task) -> None:
    task.recurrence = None
    db.session.flush()


# --- notices (in the app) ----------------------------------------------------------------


def notifications(user: User, *, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    """The reminders that came due for ``user``, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def unread_count(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def notification(user: User, notification_id: int) -> Notification:
    found = db.session.scalar(
        select(Notification).where(Notification.user_id == user.id, Notification.id == int(notification_id))
    )
    if found is None:
        raise ReminderError(f"There is no notification {notification_id}.")
    return found


def mark_read(user: User, notification_id: int, now: datetime | None = None) -> Notification:
    found = notification(user, notification_id)
    if found.read_at is None:
        found.read_at = now or utcnow()
        db.session.flush()
    return found


def snooze(user: User, notification_id: int, minutes: int, now: datetime) -> Reminder:
    """Read the notice and remind again ``minutes`` from ``now``."""
    found = mark_read(user, notification_id, now)
    return add(user, found.task, remind_at=now + timedelta(minutes=int(minutes)), now=now)


def last_fired(user: User) -> Notification | None:
    """The newest notice: what "snooze it" means."""
    found = notifications(user, limit=1)
    return found[0] if found else None


def clear_notices_of_reminders(reminder_ids: list[int]) -> None:
    if reminder_ids:
        db.session.execute(delete(Notification).where(Notification.reminder_id.in_(reminder_ids)))
