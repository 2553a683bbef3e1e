"""What the chat page shows, read through the agent and the API's own helpers.

The views stay parse → call → respond; every read filters by the signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..agent.tools import ToolContext, list_tasks
from ..models import Conversation, User
from ..services import conversations_page

SIDEBAR_SIZE = 50
# Tools whose success changes what the task panel shows.
TASK_CHANGING_TOOLS = frozenset(
    {"add_task", "complete_task", "uncomplete_task", "update_task", "delete_task"}
)


@dataclass(frozen=True)
class TaskPanel:
    pending: list[dict[str, Any]]
    completed: list[dict[str, Any]]


def sidebar(user_id: str) -> list[Conversation]:
    """The user's most recent conversations, newest first."""
    rows, _cursor = conversations_page(user_id, SIDEBAR_SIZE)
    return rows


def task_panel(user: User) -> TaskPanel:
    """Pending tasks (soonest due first) and completed ones, through the agent's own tool."""
    ctx = ToolContext(user=user)
    return TaskPanel(
        pending=list_tasks(ctx, status="pending")["tasks"],
        completed=list_tasks(ctx, status="completed")["tasks"],
    )


def changed_tasks(tool_calls) -> bool:
    """Did a turn's tool calls change the user's tasks?"""
    return any(call.status == "success" and call.name in TASK_CHANGING_TOOLS for call in tool_calls)
