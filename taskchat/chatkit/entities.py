"""Tasks as ChatKit entities: @-mentions in, entity sources out.

The host page's entity search lists the user's tasks (``/api/v1/tasks?q=``), each tagged with
``data.number``. A user message carrying such an ``input_tag`` refers to exactly that task:
the tag is read as "task N" (the agent's exact reference), never matched by its words. A
reply that names tasks carries them as entity annotations, so the client can show them as
links; they come from the tasks the turn's tools returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .protocol import ck

# A turn can name many tasks (a long list); the annotations say the first of them.
MAX_SOURCES = 20


def tag_number(part: Any) -> int | None:
    """The task number an ``input_tag`` stands for, or None when it is not a task's tag."""
    number = part.data.get("number") if isinstance(part.data, dict) else None
    if isinstance(number, int) and not isinstance(number, bool) and number >= 1:
        return number
    return None


def message_text(content: Iterable[Any]) -> str:
    """A user message's text for the agent: text parts as typed, a task's tag as "task N"
    (other tags as their text)."""
    pieces = []
    for part in content:
        if part.type == "input_tag":
            number = tag_number(part)
            pieces.append(f"task {number}" if number is not None else part.text)
        else:
            pieces.append(part.text)
    return "".join(pieces)


def task_annotations(calls: Iterable[tuple[str, str, Any]]) -> list[ck.Annotation]:
    """Entity annotations for the tasks a turn's ``(tool, status, output)`` calls returned,
    each once, in the order the turn met them."""
    seen: dict[int, dict[str, Any]] = {}
    for _name, status, output in calls:
        if status != "success" or not isinstance(output, dict):
            continue
        found = output.get("tasks") if isinstance(output.get("tasks"), list) else [output]
        for task in found:
            number = task.get("number") if isinstance(task, dict) else None
            if isinstance(number, int) and isinstance(task.get("title"), str) and number not in seen:
                seen[number] = task
    return [
        ck.Annotation(
            source=ck.EntitySource(
                id=f"task-{number}",
                title=task["title"],
                label=f"Task {number}",
                icon="check-circle",
                data={"number": number},
            )
        )
        for number, task in list(seen.items())[:MAX_SOURCES]
    ]
