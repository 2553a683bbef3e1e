"""What a message asks for: the one list of intents, shared by the parser, the replies and the
API's schema (``metadata.intent``), and the one map from a tool to the intent it carries out."""

from __future__ import annotations

from enum import StrEnum


class Intent(StrEnum):
    CREATE = "CREATE"
    LIST = "LIST"
    COMPLETE = "COMPLETE"
    UNCOMPLETE = "UNCOMPLETE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    SEARCH = "SEARCH"
    UNDO = "UNDO"
    REMIND = "REMIND"
    HELP = "HELP"
    GREETING = "GREETING"
    CLARIFY = "CLARIFY"
    UNKNOWN = "UNKNOWN"


# The intent a successful call of each tool carries out (a model's turn is named by its last
# call; an undo by the call that put things back: a restored task is created again).
INTENT_OF_TOOL: dict[str, Intent] = {
    "add_task": Intent.CREATE,
    "restore_task": Intent.CREATE,
    "list_tasks": Intent.LIST,
    "search_tasks": Intent.SEARCH,
    "complete_task": Intent.COMPLETE,
    "uncomplete_task": Intent.UNCOMPLETE,
    "update_task": Intent.UPDATE,
    "delete_task": Intent.DELETE,
    "add_reminder": Intent.REMIND,
    "delete_reminder": Intent.REMIND,
}
# The tools whose success changes the user's tasks (the page's panel reloads after them).
CHANGING_TOOLS = frozenset(name for name, intent in INTENT_OF_TOOL.items() if intent not in (Intent.LIST, Intent.SEARCH))
