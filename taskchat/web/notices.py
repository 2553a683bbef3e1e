"""Notices of reminders that came due, and the settings page.

Plain forms (dismiss, snooze, done; the settings) that work without JavaScript: post → 303
back. With JavaScript, app.js polls ``/notices/count`` lightly and shows the browser's own
notification when the user allowed it; without it, the next page load shows the notices.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_jwt_extended import current_user, jwt_required

from .. import account, reminders, tasks
from ..schemas import known_timezones
from ..transactions import writing
from . import bp
from .page_security import safe_next

SNOOZE_MINUTES = {"10": 10, "60": 60, "1440": 24 * 60}
OFFSETS = [("", "No reminder unless I ask"), ("0", "At the due time"), ("10", "10 minutes before"),
           ("30", "30 minutes before"), ("60", "1 hour before"), ("1440", "1 day before")]


def notices_context() -> dict:
    """The unread notices and their count, for the top bar and the notices area."""
    found = reminders.notifications(current_user, unread_only=True, limit=20)
    return {"notices": [n.to_dict() for n in found], "notice_count": reminders.unread_count(current_user)}


@bp.get("/notices")
@jwt_required()
def notices():
    """Every recent notice (read ones too); ``?fragment=1``: the notices area alone (app.js)."""
    if request.args.get("fragment"):
        return render_template("_notices.html", **dict(page_path=safe_next(request.args.get("next")),
                                                               **notices_context()))
    found = [n.to_dict() for n in reminders.notifications(current_user, limit=100)]
    return render_template("notices.html", **dict(all_notices=found, **notices_context()))


@bp.get("/notices/count")
@jwt_required()
def notices_count():
    """The light poll of app.js: how many unread, and the newest ones' titles."""
    context = notices_context()
    return jsonify(
        count=context["notice_count"],
        latest=[{"id": n["id"], "title": n["title"]} for n in context["notices"][:5]],
    )


@bp.post("/notices/<int:notification_id>")
@jwt_required()
def act_on_notice(notification_id: int):
    """``action=dismiss|snooze|done``: read it; snooze reminds again later; done completes the task."""
    action = request.form.get("action")
    now = datetime.now(UTC)
    try:
        with writing():
            notice = reminders.mark_read(current_user, notification_id, now)
            if action == "snooze":
                minutes = SNOOZE_MINUTES.get(request.form.get("minutes", "60"), 60)
                reminders.snooze(current_user, notification_id, minutes, now)
                flash(f"I'll remind you again in {minutes // 60} hour{'s' if minutes != 60 else ''}." if minutes >= 60
                      else f"I'll remind you again in {minutes} minutes.", "info")
            elif action == "done":
                tasks.set_completed(current_user, notice.task.number, True, now=now)
                flash(f"Marked '{notice.title}' as complete.", "info")
    except (reminders.ReminderError, tasks.TaskNotFound):
        abort(404, "There is no such notice.")
    return redirect(safe_next(request.form.get("next"), url_for("web.index")), code=303)


@bp.get("/settings")
@jwt_required()
def settings():
    """Time zone, reminder email, default reminder, calendar feed."""
    return render_template(
        "settings.html",
        **dict(settings=account.settings(current_user), zones=sorted(known_timezones()), offsets=OFFSETS,
                       **notices_context()),
    )


@bp.post("/settings")
@jwt_required()
def save_settings():
    """Save the settings form, or rotate/revoke the calendar feed (``calendar=rotate|revoke``)."""
    changes: dict = {}
    if request.form.get("calendar") in ("rotate", "revoke"):
        changes["calendar"] = request.form["calendar"]
    else:
        zone = request.form.get("timezone", "")
        if zone not in known_timezones():
            flash("Pick a time zone from the list.", "error")
            return redirect(url_for("web.settings"), code=303)
        offset = request.form.get("default_reminder_minutes", "")
        if offset not in dict(OFFSETS):
            flash("Pick a default reminder from the list.", "error")
            return redirect(url_for("web.settings"), code=303)
        changes = {
            "timezone": zone,
            "email_reminders": request.form.get("email_reminders") == "1",
            "default_reminder_minutes": int(offset) if offset else None,
        }
    with writing():
        account.update_settings(current_user, changes)
    flash({"rotate": "Your calendar feed has a new address; the old one no longer works.",
           "revoke": "Your calendar feed is turned off."}.get(changes.get("calendar", ""), "Settings saved."), "info")
    return redirect(url_for("web.settings"), code=303)
