"""Task lists drawn as ChatKit widgets, with a button per task that comes back as an action."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from ..agent.replies import task_details
from .protocol import DynamicWidgetRoot

# Widget button action type → the agent intent it runs.
ACTIONS = {
    "task.complete": "COMPLETE",
    "task.uncomplete": "UNCOMPLETE",
    "task.delete": "DELETE",
}


def shows_widget(display: dict[str, Any] | None) -> bool:
    """Whether an assistant message's display data is drawn as a widget (a non-empty task list)."""
    return bool(display and display.get("kind") == "task_list" and display.get("tasks"))


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


def task_list_widget(display: dict[str, Any], tz: ZoneInfo) -> DynamicWidgetRoot:
    """A ListView of the tasks in ``display`` (``{"kind": "task_list", "title", "tasks"}``)."""
    root = {
        "type": "ListView",
        "status": {"text": (display.get("title") or "Tasks").rstrip(":"), "icon": "check-circle"},
        "children": [_row(task, tz) for task in display["tasks"]],
    }
    return DynamicWidgetRoot.model_validate(_without_none(root))


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value
