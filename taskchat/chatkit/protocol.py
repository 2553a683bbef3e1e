"""ChatKit wire types, serialisation and the id scheme mapping rows to thread and item ids.

The request and event types come from the ``openai-chatkit`` package (its ``types`` module
only; its async server is not used). Pydantic adapters are built once, here, at import:
building one for ``ChatKitReq`` costs milliseconds, which per request would be a large share
of a turn.
"""

from __future__ import annotations

import uuid
import warnings
from typing import Any

from pydantic import BaseModel, TypeAdapter

from .. import public_ids
from ..sse import json_line

# The package deprecates direct use of its named widget classes and warns while defining
# them; we build widgets through ``DynamicWidgetRoot`` and never use those classes.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit import types as ck
    from chatkit.errors import ErrorCode
    from chatkit.widgets import DynamicWidgetRoot

__all__ = ["ErrorCode", "DynamicWidgetRoot", "ck"]

REQUEST = TypeAdapter(ck.ChatKitReq)

UNSUPPORTED_TYPES = frozenset({"attachments.create", "attachments.delete"})

THREAD_PREFIX = "thr_"
MESSAGE_PREFIX = public_ids.MESSAGE_PREFIX
WIDGET_PREFIX = "wdg_"
# A question asked as ChatKit structured input: the same message's extra item, drawn instead
# of the answer buttons for clients that say they take it (``wants_structured_input``).
STRUCTURED_PREFIX = "inp_"


def dump(model: BaseModel) -> str:
    """JSON as the ChatKit SDK writes it: by alias, without null fields; on one line, so that
    an SSE frame (split with ``splitlines``) never cuts it."""
    return json_line(model.model_dump_json(by_alias=True, exclude_none=True, context={"exclude_metadata": True}))


def thread_id(conversation_id: uuid.UUID) -> str:
    return THREAD_PREFIX + conversation_id.hex


def parse_thread_id(value: str) -> uuid.UUID | None:
    """The conversation id behind ``thr_<hex>``, or None when it cannot be one."""
    if not value.startswith(THREAD_PREFIX):
        return None
    try:
        return uuid.UUID(hex=value[len(THREAD_PREFIX):])
    except ValueError:
        return None


def message_item_id(message_id: int) -> str:
    return public_ids.message_ref(message_id)


def widget_item_id(message_id: int) -> str:
    return f"{WIDGET_PREFIX}{public_ids.opaque(message_id)}"


def structured_item_id(message_id: int) -> str:
    return f"{STRUCTURED_PREFIX}{public_ids.opaque(message_id)}"


def is_structured_id(value: str) -> bool:
    return value.startswith(STRUCTURED_PREFIX)


def wants_structured_input(req: Any) -> bool:
    """Whether the client takes questions as structured input: it says so in the request's
    metadata (``{"structured_input": true}``, as the host page's fetch does); others get the
    answer buttons."""
    return req.metadata.get("structured_input") is True


def parse_item_id(value: str) -> tuple[int, bool] | None:
    """``(message id, is the message's extra item — its widget or structured input)`` behind an
    item id, or None when it cannot be one."""
    for prefix, widget in ((MESSAGE_PREFIX, False), (WIDGET_PREFIX, True), (STRUCTURED_PREFIX, True)):
        if value.startswith(prefix):
            found = public_ids.row_id(value[len(prefix):])
            return None if found is None else (found, widget)
    return None


def error_event(message: str | None = None, *, allow_retry: bool = False) -> Any:
    """An ``error`` event: a custom message when given, the generic stream error otherwise."""
    if message is None:
        return ck.ErrorEvent(code=ErrorCode.STREAM_ERROR, allow_retry=allow_retry)
    return ck.ErrorEvent(code="custom", message=message, allow_retry=allow_retry)


def rate_limited_frames(message: str) -> str:
    """A refused streaming request's answer: the limit as a ``notice`` (what the user reads)
    and an ``error`` that ends the request, retryable (after the wait a retry succeeds)."""
    from ..sse import frame

    notice = ck.NoticeEvent(level="warning", title="Slow down", message=message)
    return frame(dump(notice)) + frame(dump(error_event(message, allow_retry=True)))
