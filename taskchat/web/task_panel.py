"""The task panel: its fragment (htmx reloads it on ``tasks-changed``), the tick box, and each
task's own edit and delete forms — plain forms that answer 303 back without JavaScript, and
the new panel in place with htmx."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_jwt_extended import current_user, jwt_required

from .. import tasks
from ..transactions import writing
from . import bp
from .page_data import task_panel
from .page_security import flash_in_place, is_htmx, safe_next

# The repeat choices the edit form offers (RRULEs the reminders' recurrence takes); a task's
# own rule that is none of these is offered too, so saving the form keeps it.
REPEATS = [
    ("", "Does not repeat"),
    ("FREQ=DAILY", "Every day"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"),
    ("FREQ=WEEKLY", "Every week"),
    ("FREQ=WEEKLY;INTERVAL=2", "Every other week"),
    ("FREQ=MONTHLY", "Every month"),
    ("FREQ=YEARLY", "Every year"),
]
PRIORITIES = ("none", "low", "medium", "high")
_TAG_SPLIT = re.compile(r"[\s,]+")


class FormProblem(Exception):
    """A field of the edit form that cannot be saved, said for a person."""


def _panel_args(source) -> dict:
    return {"view": source.get("view", "all"), "tag": source.get("tag") or None}


def _panel_answer(status: int = 200):
    """The panel as the form's filter had it, for htmx to swap in place of the old one."""
    return render_template("_task_panel.html", panel=task_panel(current_user, **_panel_args(request.form))), status


@bp.get("/tasks/panel")
@jwt_required()
def panel():
    """The task panel alone (``view`` = all|today|upcoming|overdue|completed, ``tag``), for htmx."""
    return render_template("_task_panel.html", panel=task_panel(current_user, **_panel_args(request.args)))


def _back():
    return redirect(safe_next(request.form.get("next"), url_for("web.index")), code=303)


@bp.post("/tasks/<int:number>/status")
@jwt_required()
def set_status(number: int):
    """Complete or reopen one of the user's tasks.

    The no-JS button says ``set=done|open``; htmx posts the tick box on change, so then the
    box decides: ``completed`` present means done.
    """
    wanted = request.form.get("set")
    done = wanted == "done" if wanted in ("done", "open") else bool(request.form.get("completed"))
    try:
        with writing():
            tasks.set_completed(current_user, number, done)
    except tasks.TaskNotFound:
        if is_htmx():
            # Beside the panel, where the tick was; app.js un-ticks the box.
            return flash_in_place("There is no such task.", 404, target="#panel-error")
        abort(404, "There is no such task.")
    if is_htmx():
        return "", 204, {"HX-Trigger": "tasks-changed"}
    return _back()


def _due(form, zone) -> dict:
    """``due_at`` (a date) and ``due_time`` (optional) in the user's zone → the service's fields."""
    day, clock = form.get("due_at", "").strip(), form.get("due_time", "").strip()
    if not day:
        if clock:
            raise FormProblem("A due time needs a due date.")
        return {"due_at": None}
    try:
        moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock) if clock else time(0), zone)
    except ValueError as exc:
        raise FormProblem("The due date or time is not one the form offers.") from exc
    return {"due_at": moment, "due_has_time": bool(clock)}


def form_changes(form, zone) -> dict:
    """The edit form's fields (REST names; the due date and time in the user's zone) as
    changes for ``tasks.update``; a field the form did not send stays as it is."""
    changes: dict = {}
    for name in ("title", "description"):
        if name in form:
            changes[name] = form[name].strip() if name == "title" else form[name].strip() or None
    if "priority" in form:
        if form["priority"] not in PRIORITIES:
            raise FormProblem("Pick a priority from the list.")
        changes["priority"] = form["priority"]
    if "tags" in form:
        changes["tags"] = [tag for tag in _TAG_SPLIT.split(form["tags"][:2000]) if tag]
    if "recurrence" in form:
        changes["recurrence"] = form["recurrence"].strip() or None
    if "due_at" in form:
        changes.update(_due(form, zone))
    return changes


@bp.post("/tasks/<int:number>")
@jwt_required()
def edit_task(number: int):
    """Save a task's edit form: title, description, due date and time, priority, tags, repeat."""
    try:
        with writing():
            change = tasks.update(current_user, number, **form_changes(request.form, current_user.zone))
    except tasks.TaskNotFound:
        return _refused("There is no such task.", 404)
    except (FormProblem, tasks.TaskError) as exc:
        return _refused(str(exc), 422)
    if is_htmx():
        return _panel_answer()
    if change.changed:
        flash(f"Saved task {number}, '{change.task.title}'.", "info")
    return _back()


@bp.post("/tasks/<int:number>/delete")
@jwt_required()
def delete_task(number: int):
    """Delete one of the user's tasks (its reminders go with it)."""
    try:
        with writing():
            removed = tasks.delete(current_user, number)
    except tasks.TaskNotFound:
        return _refused("There is no such task.", 404)
    if is_htmx():
        return _panel_answer()
    flash(f"Deleted task {number}, '{removed.task.title}'.", "info")
    return _back()


def _refused(message: str, status: int):
    if is_htmx():
        return flash_in_place(message, status, target="#panel-error")
    flash(message, "error")
    return _back()
