"""Reminders under a task, the notices of reminders that came due, and the account settings."""

from __future__ import annotations

from flask_jwt_extended import current_user, jwt_required

from .. import account, reminders, tasks
from ..errors import APIError
from ..schemas import ReminderCreate
from ..transactions import writing
from . import bp
from .schemas import (
    AccountOut,
    MeUpdate,
    NotificationList,
    NotificationOut,
    NotificationQuery,
    OkResponse,
    ReminderList,
    ReminderOut,
)
from .validation import documented, json_body, query_args


def _task(number: int):
    try:
        return tasks.get(current_user, number)
    except tasks.TaskNotFound as exc:
        raise APIError(404, "task_not_found", str(exc)) from exc


@bp.get("/tasks/<int:number>/reminders")
@jwt_required()
@documented(summary="A task's reminders", response=ReminderList, errors=(404,))
def reminders_index(number: int):
    return {"reminders": [r.to_dict() for r in reminders.of_task(_task(number))]}


@bp.post("/tasks/<int:number>/reminders")
@jwt_required()
@documented(summary="Add a reminder: remind_at, or before_due_minutes before the due time",
            body=ReminderCreate, response=ReminderOut, status=201, errors=(404, 415, 422))
def reminders_create(number: int):
    data = json_body(ReminderCreate)
    try:
        with writing():
            reminder = reminders.add(
                current_user, _task(number), remind_at=data.remind_at, before_due_minutes=data.before_due_minutes
            )
            return reminder.to_dict(), 201
    except reminders.ReminderError as exc:
        raise APIError(422, "invalid_fields", str(exc)) from exc


@bp.delete("/tasks/<int:number>/reminders/<int:reminder_id>")
@jwt_required()
@documented(summary="Delete a reminder", response=OkResponse, errors=(404,))
def reminders_delete(number: int, reminder_id: int):
    try:
        with writing():
            reminders.remove(current_user, reminder_id, _task(number))
    except reminders.ReminderNotFound as exc:
        raise APIError(404, "reminder_not_found", str(exc)) from exc
    return {"ok": True}


@bp.get("/notifications")
@jwt_required()
@documented(summary="Reminders that came due, newest first", query=NotificationQuery, response=NotificationList)
def notifications_index():
    query = query_args(NotificationQuery)
    found = reminders.notifications(current_user, unread_only=query.unread)
    return {"notifications": [n.to_dict() for n in found], "unread": reminders.unread_count(current_user)}


@bp.post("/notifications/<int:notification_id>/read")
@jwt_required()
@documented(summary="Mark a notice read", response=NotificationOut, errors=(404,))
def notifications_read(notification_id: int):
    try:
        with writing():
            return reminders.mark_read(current_user, notification_id).to_dict()
    except reminders.ReminderError as exc:
        raise APIError(404, "notification_not_found", str(exc)) from exc


def _account() -> dict:
    return {"user": current_user.to_dict(), **account.settings(current_user)}


@bp.get("/me")
@jwt_required()
@documented(summary="The account and its settings (time zone, reminders, calendar feed URL)", response=AccountOut)
def me_show():
    return _account()


@bp.patch("/me")
@jwt_required()
@documented(summary="Change settings; calendar: rotate or revoke the feed URL", body=MeUpdate, response=AccountOut,
            errors=(415, 422))
def me_update():
    changes = json_body(MeUpdate).model_dump(exclude_unset=True)
    with writing():
        account.update_settings(current_user, changes)
    return _account()
