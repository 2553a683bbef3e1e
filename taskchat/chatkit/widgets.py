"""ChatKit widgets: task cards with live controls, and the answers to a question.

A task row carries a checkbox (complete/reopen), a date picker (due) and a priority select:
each is a sync action (``streaming: false``) answered by ``threads.sync_custom_action`` with
the redrawn card and no new turn (see ``controls``). The Delete button and the older
``task.complete`` / ``task.uncomplete`` buttons come back as a ``threads.custom_action`` and
run a turn; ``choice.pick`` sends the picked answer as the user's next message (``choices``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..agent import Intent, TaskList
from ..agent.replies import format_due, task_details
from ..models import PRIORITIES
from ..recurrence import describe as describe_rule
from .protocol import DynamicWidgetRoot

# The action of a question's answer buttons: ``{"index": <position in message.choices>}``.
CHOICE_ACTION = "choice.pick"

# Widget button action type → the agent intent it runs.
ACTIONS = {
    "task.complete": Intent.COMPLETE,
    "task.uncomplete": Intent.UNCOMPLETE,
    "task.delete": Intent.DELETE,
}

# A task row's controls: sync actions (``streaming: false``) on the task service, no turn.
# Payload ``{"number", "version"}`` plus the control's value (under ``value`` or its name).
SET_COMPLETED = "task.set_completed"
SET_DUE = "task.set_due"
SET_PRIORITY = "task.set_priority"
CONTROL_FIELDS = {SET_COMPLETED: "done", SET_DUE: "due", SET_PRIORITY: "priority"}
PRIORITY_LABELS = {"none": "No priority", "low": "Low", "medium": "Medium", "high": "High"}


def shows_widget(task_list: TaskList | None) -> bool:
    """Whether a reply's task list is drawn as a widget (it is, when it lists any task)."""
    return bool(task_list and task_list.tasks)


def has_widget(message: Any) -> bool:
    """Whether an assistant message is followed by a widget item: a task list, or a question's answers."""
    return bool(message.choices) or shows_widget(message.task_list)


def widget_for(
    task_list: TaskList | None, choices: list[dict[str, str]] | None, tz: ZoneInfo, *, answered: bool = False
) -> DynamicWidgetRoot | None:
    """The widget of an assistant message: its answer buttons if it asks, else its task list, if any.

    A question's answers replace the list of candidates it may carry (each answer names its
    task). ``answered``: a later message has answered or dropped the question (the agent keeps
    a question for one turn only), so its buttons are drawn disabled.
    """
    if choices:
        return choices_widget(choices, answered=answered)
    if shows_widget(task_list):
        return task_list_widget(task_list, tz)
    return None


def choices_widget(choices: list[dict[str, str]], *, answered: bool = False) -> DynamicWidgetRoot:
    """A card with one button per answer; a click sends ``choice.pick`` with the answer's index."""
    buttons = [
        {
            "type": "Button",
            "label": choice["label"],
            "size": "sm",
            "variant": "outline",
            "disabled": True if answered else None,
            "onClickAction": {"type": CHOICE_ACTION, "payload": {"index": index}},
        }
        for index, choice in enumerate(choices)
    ]
    root = {"type": "Card", "size": "full", "children": [{"type": "Row", "wrap": "wrap", "gap": 2, "children": buttons}]}
    return DynamicWidgetRoot.model_validate(_without_none(root))


def _button(label: str, action: str, number: int, **style: Any) -> dict[str, Any]:
    return {
        "type": "Button",
        "label": label,
        "size": "sm",
        "onClickAction": {"type": action, "payload": {"number": number}},
        **style,
    }


def _sync(action: str, task: dict[str, Any]) -> dict[str, Any]:
    """A control's action: answered by ``threads.sync_custom_action`` (no new turn), so it works
    while a reply streams. ``version`` is the task as drawn: a change to a task that changed
    since (a stale card) is refused."""
    return {
        "type": action,
        "payload": {"number": task["number"], "version": task.get("updated_at")},
        "streaming": False,
        "loadingBehavior": "self",
    }


def control_name(field: str, number: int) -> str:
    """The form name of a row's control, unique in its card (the client keys values by it)."""
    return f"{field}_{number}"


def repeat_line(task: dict[str, Any], tz: ZoneInfo) -> str | None:
    """A repeating task's rule in words and its next date: "Repeats every Monday · next Mon Dec 7"."""
    if not task.get("recurrence"):
        return None
    words = task.get("recurrence_text") or describe_rule(task["recurrence"]) or task["recurrence"]
    due = format_due(task, tz)
    return f"Repeats {words}" + (f" · next {due}" if due else "")


def _due_value(task: dict[str, Any], tz: ZoneInfo) -> str | None:
    """The date picker's value: the due day in the user's zone (a picker chooses days)."""
    if not task.get("due_at"):
        return None
    local = datetime.fromisoformat(task["due_at"]).astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None).isoformat()


def _row(task: dict[str, Any], tz: ZoneInfo, *, live: bool = True) -> dict[str, Any]:
    """One task: its title and details, a checkbox (complete/reopen), a date picker (due) and a
    priority select, each a sync action; ``live`` False draws it without controls."""
    number = task["number"]
    if task.get("deleted"):
        return {
            "type": "ListViewItem",
            "key": f"task-{number}",
            "children": [
                {"type": "Text", "value": f"{number}. {task['title']}", "lineThrough": True, "color": "tertiary"},
                {"type": "Caption", "value": "deleted"},
            ],
        }
    details = [part for part in task_details(task, tz) if not part.startswith("repeats ")]
    text: list[dict[str, Any]] = [
        {
            "type": "Text",
            "value": f"{number}. {task['title']}",
            "lineThrough": bool(task["completed"]),
            "color": "secondary" if task["completed"] else None,
        }
    ]
    if details:
        text.append({"type": "Caption", "value": ", ".join(details)})
    repeats = repeat_line(task, tz)
    if repeats:
        text.append({"type": "Caption", "value": repeats})
    if not live:
        return {"type": "ListViewItem", "key": f"task-{number}", "children": [{"type": "Col", "flex": 1, "gap": 1, "children": text}]}
    text.append(
        {
            "type": "Row",
            "gap": 2,
            "children": [
                {
                    "type": "DatePicker",
                    "name": control_name("due", number),
                    "defaultValue": _due_value(task, tz),
                    "placeholder": "Due date",
                    "size": "sm",
                    "clearable": True,
                    "onChangeAction": _sync(SET_DUE, task),
                },
                {
                    "type": "Select",
                    "name": control_name("priority", number),
                    "options": [{"value": value, "label": PRIORITY_LABELS[value]} for value in PRIORITIES],
                    "defaultValue": task.get("priority") or "none",
                    "size": "sm",
                    "onChangeAction": _sync(SET_PRIORITY, task),
                },
            ],
        }
    )
    return {
        "type": "ListViewItem",
        "key": f"task-{number}",
        "gap": 3,
        "children": [
            {"type": "Col", "flex": 1, "gap": 1, "children": text},
            {
                "type": "Checkbox",
                "name": control_name("done", number),
                "label": "Done",
                "defaultChecked": bool(task["completed"]),
                "onChangeAction": _sync(SET_COMPLETED, task),
            },
            _button("Delete", "task.delete", number, color="danger", variant="ghost"),
        ],
    }


def task_list_widget(task_list: TaskList, tz: ZoneInfo) -> DynamicWidgetRoot:
    """A ListView of the tasks in ``task_list``, under its heading."""
    root = {
        "type": "ListView",
        "status": {"text": (task_list.title or "Tasks").rstrip(":"), "icon": "check-circle"},
        "children": [_row(task, tz) for task in task_list.tasks],
    }
    return DynamicWidgetRoot.model_validate(_without_none(root))


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value
