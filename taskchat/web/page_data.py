"""What the chat page shows, read through the task service and the conversation helpers.

The views stay parse → call → respond; every read filters by the signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import tasks
from ..agent.intents import CHANGING_TOOLS
from ..conversation_admin import find_page
from ..models import Conversation, User
from ..services import InvalidCursor

SIDEBAR_SIZE = 50


# The panel's views: all (pending, then a Completed section), or one list.
PANEL_VIEWS = ("all", "today", "upcoming", "overdue", "completed")


@dataclass(frozen=True)
class TaskPanel:
    pending: list[dict[str, Any]]
    completed: list[dict[str, Any]]
    view: str = "all"
    tag: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def single_list(self) -> bool:
        """Today, upcoming, overdue and completed are one list; all (and a tag) are two."""
        return self.view != "all"


@dataclass(frozen=True)
class Sidebar:
    conversations: list[Conversation]
    next_cursor: str | None = None
    q: str = ""


def sidebar(user_id: str) -> list[Conversation]:
    """The user's most recent conversations, newest first."""
    rows, _cursor = find_page(user_id, SIDEBAR_SIZE)
    return rows


def sidebar_page(user_id: str, q: str | None = None, cursor: str | None = None) -> Sidebar:
    """One page of the side list (keyset, as the API pages), only matches of ``q`` if given;
    a cursor that is not one of ours starts from the newest."""
    q = " ".join((q or "").split())[:200]
    try:
        rows, next_cursor = find_page(user_id, SIDEBAR_SIZE, cursor or None, q or None)
    except InvalidCursor:
        rows, next_cursor = find_page(user_id, SIDEBAR_SIZE, None, q or None)
    return Sidebar(rows, next_cursor, q)


def task_panel(user: User, view: str = "all", tag: str | None = None) -> TaskPanel:
    """The panel's tasks for ``view`` (and ``tag``), from the task service; an unknown view is all."""
    view = view if view in PANEL_VIEWS else "all"
    tag = (tag or "").strip().lstrip("#").lower()[:64] or None
    everything = tasks.find(user, status="all")
    tags = tuple(sorted({name for task in everything for name in (task.tags or [])}))
    if tag:
        everything = [task for task in everything if tag in (task.tags or [])]
    pending = [task for task in everything if not task.completed]
    completed = [task for task in everything if task.completed]
    if view == "completed":
        pending = completed
    elif view in ("today", "overdue"):
        chosen = {task.id for task in tasks.find(user, due=view)}
        pending = [task for task in pending if task.id in chosen]
    elif view == "upcoming":
        due_by_today = {task.id for task in tasks.find(user, due="today")}
        pending = [task for task in pending if task.due_at is not None and task.id not in due_by_today]
    return TaskPanel(
        pending=[task.to_dict() for task in pending],
        completed=[task.to_dict() for task in completed] if view == "all" else [],
        view=view,
        tag=tag,
        tags=tags,
    )


# Undo's own tool for a repeating task carries no intent, but it moves the task back too.
PANEL_CHANGING_TOOLS = CHANGING_TOOLS | {"undo_completion"}


def changed_tasks(tool_calls) -> bool:
    """Did a turn's tool calls change the user's tasks?"""
    return any(call.status == "success" and call.name in PANEL_CHANGING_TOOLS for call in tool_calls)
