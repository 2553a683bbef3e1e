"""What the chat page shows, read through the task service and the conversation helpers.

The views stay parse → call → respond; every read filters by the signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import tasks
from ..agent.intents import CHANGING_TOOLS
from ..models import Conversation, User
from ..services import conversations_page

SIDEBAR_SIZE = 50


@dataclass(frozen=True)
class TaskPanel:
    pending: list[dict[str, Any]]
    completed: list[dict[str, Any]]


def sidebar(user_id: str) -> list[Conversation]:
    """The user's most recent conversations, newest first."""
    rows, _cursor = conversations_page(user_id, SIDEBAR_SIZE)
    return rows


def task_panel(user: User) -> TaskPanel:
    """Pending tasks (soonest due first) and completed ones, from the task service."""
    return TaskPanel(
        pending=[task.to_dict() for task in tasks.find(user, status="pending")],
        completed=[task.to_dict() for task in tasks.find(user, status="completed")],
    )


# Undo's own tool for a repeating task carries no intent, but it moves the task back too.
PANEL_CHANGING_TOOLS = CHANGING_TOOLS | {"undo_completion"}


def changed_tasks(tool_calls) -> bool:
    """Did a turn's tool calls change the user's tasks?"""
    return any(call.status == "success" and call.name in PANEL_CHANGING_TOOLS for call in tool_calls)
