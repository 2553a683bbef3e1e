"""ChatKit widgets: task lists with a button per task, and the answers to a question.

Every button comes back as a ``threads.custom_action``: ``task.*`` actions run on one task;
``choice.pick`` sends the picked answer as the user's next message (see ``choices``).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from ..agent import Intent, TaskList
from ..agent.replies import task_details
from .protocol import DynamicWidgetRoot

# The action of a question's answer buttons: ``{"index": <position in message.choices>}``.
CHOICE_ACTION = "choice.pick"

# Widget button action type → the agent intent it runs.
ACTIONS = {
    "task.complete": Intent.COMPLETE,
    "task.uncomplete": Intent.UNCOMPLETE,
    "task.delete": Intent.DELETE,
}


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


def _row(task: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
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
    details = task_details(task, tz)
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
    toggle = (
        _button("Reopen", "task.uncomplete", number, variant="outline")
        if task["completed"]
        else _button("Complete", "task.complete", number, style="primary")
    )
    return {
        "type": "ListViewItem",
        "key": f"task-{number}",
        "gap": 3,
        "children": [
            {"type": "Col", "flex": 1, "gap": 1, "children": text},
            toggle,
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
