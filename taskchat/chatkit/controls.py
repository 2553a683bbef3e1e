"""A task card's controls: the checkbox, the date picker and the priority select.

Each is a sync action (``streaming: false``): ``threads.sync_custom_action`` changes the task
through the task service and answers with the card redrawn and stored — no new turn, no
message, so it works while a reply streams. The action names the card it came from
(``item_id``) and the task as the card drew it (``payload.version``, its ``updated_at``):
a task not on that card, or one that changed since the card was drawn, is refused and
nothing changes.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from .. import tasks as task_service
from ..extensions import db
from ..models import PRIORITIES, Conversation, User, zone
from ..transactions import writing
from . import store
from .protocol import ck
from .widgets import (
    CONTROL_FIELDS,
    SET_COMPLETED,
    SET_DUE,
    SET_PRIORITY,
    card_of,
    control_name,
    shows_widget,
)

_MISSING = object()


class ControlError(ValueError):
    """A control's action that cannot be carried out: the status, code and message of its 4xx."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code


def is_control(action_type: str) -> bool:
    return action_type in CONTROL_FIELDS


def _value(action_type: str, payload: dict[str, Any], number: int) -> Any:
    """The control's new value: under ``value``, or under the control's form name."""
    if "value" in payload:
        return payload["value"]
    return payload.get(control_name(CONTROL_FIELDS[action_type], number), _MISSING)


def _completed(value: Any, drawn: bool) -> bool:
    if value is _MISSING:
        return not drawn  # a tick without its value flips what the card showed
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "on", "false", "off"):
        return value.lower() in ("true", "on")
    raise ControlError(422, "invalid_fields", "A checkbox's value is true or false.")


def _due(value: Any, tz) -> datetime | None:
    """A picked day as its midnight in the user's zone (a whole day, no time); empty clears."""
    if value is _MISSING:
        raise ControlError(422, "invalid_fields", "A date picker's action carries the picked date.")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ControlError(422, "invalid_fields", "The picked date must be an ISO 8601 date.")
    try:
        day = date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ControlError(422, "invalid_fields", "The picked date must be an ISO 8601 date.") from exc
    return datetime.combine(day, time(0), tzinfo=tz)


def _priority(value: Any) -> str:
    if value not in PRIORITIES:
        raise ControlError(422, "invalid_fields", f"The priority is one of {', '.join(PRIORITIES)}.")
    return value


def apply(user_id: str, conversation: Conversation, item_id: str | None, action: Any) -> ck.WidgetItem:
    """Carry out a control's action on the task of its card; the card redrawn and stored."""
    if not item_id:
        raise ControlError(422, "invalid_fields", "A task card's control names its card: send its item_id.")
    message, is_widget = store.message_for(conversation, item_id)
    shown = card_of(message) if is_widget else None
    if not shows_widget(shown):
        raise ControlError(422, "not_a_task_card", "Task controls come from a task card.")
    payload = action.payload if isinstance(action.payload, dict) else {}
    number, version = payload.get("number"), payload.get("version")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1 or not isinstance(version, str):
        raise ControlError(
            422, "invalid_fields", 'The action payload must be {"number": <task number>, "version": <as drawn>}.'
        )
    if number not in {task["number"] for task in shown.tasks}:
        raise ControlError(404, "not_found", f"Task {number} is not on this card.")
    value = _value(action.type, payload, number)
    with writing():
        user = db.session.get(User, user_id)
        try:
            task = task_service.get(user, number)
        except task_service.TaskNotFound as exc:
            raise ControlError(404, "not_found", str(exc)) from exc
        if task.updated_at.isoformat() != version:
            raise ControlError(
                409, "stale_card", f"Task {number} changed since this card was drawn; reload the thread to see it now."
            )
        try:
            if action.type == SET_COMPLETED:
                task_service.set_completed(user, number, _completed(value, task.completed))
            elif action.type == SET_DUE:
                task_service.update(user, number, due_at=_due(value, zone(user.timezone)), due_has_time=False)
            elif action.type == SET_PRIORITY:
                task_service.update(user, number, priority=_priority(value))
        except task_service.TaskError as exc:
            raise ControlError(422, "invalid_fields", str(exc)) from exc
        # The change and the card that shows it commit together.
        updated = store.redraw_card(user_id, message, conversation)
    if updated is None:
        raise ControlError(404, "not_found", "No such task card.")
    return updated
