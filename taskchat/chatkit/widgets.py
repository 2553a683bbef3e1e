"""ChatKit widgets: task cards with live controls, and the answers to a question.

A task row carries a checkbox (complete/reopen), a date picker (due) and a priority select:
each is a sync action (``streaming: false``) answered by ``threads.sync_custom_action`` with
the redrawn card and no new turn (see ``controls``). The Delete button and the older
``task.complete`` / ``task.uncomplete`` buttons come back as a ``threads.custom_action`` and
run a turn; ``choice.pick`` sends the picked answer as the user's next message (``choices``).
"""

from __future__ import annotations

from collections.abc import Iterable
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


# A reply that changed tasks gets a card of them with an Undo button, which runs the agent's
# "undo" (a streamed turn): the agent keeps what would undo a change for one turn, so only the
# thread's newest reply can be undone this way.
UNDO_ACTION = "task.undo"
CHANGE_KIND = "task_change"
CHANGE_TITLE = "What changed"
CHANGING_TOOLS = frozenset(
    {"add_task", "complete_task", "uncomplete_task", "update_task", "delete_task", "restore_task", "undo_completion"}
)
_NOT_TASK_FIELDS = ("already", "changed", "repeated", "reminders")


def shows_widget(task_list: TaskList | None) -> bool:
    """Whether a reply's task list is drawn as a widget (it is, when it lists any task)."""
    return bool(task_list and task_list.tasks)


def changed_tasks(calls: Iterable[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    """The tasks a turn's ``(tool, status, output)`` calls changed, each once, as its last call
    left it (a deleted one marked deleted)."""
    found: dict[int, dict[str, Any]] = {}
    for name, status, output in calls:
        if name not in CHANGING_TOOLS or status != "success" or not isinstance(output, dict):
            continue
        number = output.get("number")
        if not isinstance(number, int) or "title" not in output:
            continue
        task = {key: value for key, value in output.items() if key not in _NOT_TASK_FIELDS}
        if name == "delete_task":
            task["deleted"] = True
        found[number] = task
    return list(found.values())


def change_of(message: Any) -> TaskList | None:
    """The card of an assistant message that changed tasks (from its stored tool calls)."""
    if message.role != "assistant" or message.choices or shows_widget(message.task_list):
        return None
    changed = changed_tasks((call.tool_name, call.status, call.tool_output) for call in message.tool_calls)
    return TaskList(CHANGE_TITLE, changed, kind=CHANGE_KIND) if changed else None


def card_of(message: Any) -> TaskList | None:
    """The tasks a message's card shows: its task list, or the tasks its turn changed."""
    shown = message.task_list
    return shown if shows_widget(shown) else change_of(message)


def has_widget(message: Any) -> bool:
    """Whether an assistant message is followed by a widget item: a task list, a question's
    answers, or the tasks its turn changed."""
    return bool(message.choices) or shows_widget(message.task_list) or change_of(message) is not None


def widget_for(
    task_list: TaskList | None,
    choices: list[dict[str, str]] | None,
    tz: ZoneInfo,
    *,
    answered: bool = False,
    undo_open: bool = True,
) -> DynamicWidgetRoot | None:
    """The widget of an assistant message: its answer buttons if it asks, else its task list, if any.

    A question's answers replace the list of candidates it may carry (each answer names its
    task). ``answered``: a later message has answered or dropped the question (the agent keeps
    a question for one turn only), so its buttons are drawn disabled; a change's Undo too
    (as when ``undo_open`` is False: there is nothing left to undo).
    """
    if choices:
        return choices_widget(choices, answered=answered)
    if shows_widget(task_list):
        if task_list.kind == CHANGE_KIND:
            return change_widget(task_list, tz, undo_open=undo_open and not answered)
        return task_list_widget(task_list, tz)
    return None


def change_widget(change: TaskList, tz: ZoneInfo, *, undo_open: bool) -> DynamicWidgetRoot:
    """The tasks a reply changed, with their live controls, and Undo."""
    undo = {
        "type": "Button",
        "label": "Undo",
        "size": "sm",
        "variant": "outline",
        "disabled": None if undo_open else True,
        "onClickAction": {"type": UNDO_ACTION, "payload": {}},
    }
    root = {
        "type": "ListView",
        "status": {"text": change.title, "icon": "check-circle"},
        "children": [
            *(_row(task, tz) for task in change.tasks),
            {"type": "ListViewItem", "key": "undo", "children": [undo]},
        ],
    }
    return DynamicWidgetRoot.model_validate(_without_none(root))


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
