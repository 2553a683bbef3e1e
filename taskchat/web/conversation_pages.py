"""The side list's own actions: search, the next page (keyset), rename, delete several.

Plain forms and links without JavaScript (the search and the page live in the address of the
chat page); htmx swaps only the list, or the middle column after a rename.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_jwt_extended import current_user, jwt_required

from ..agent.history import messages_of
from ..conversation_admin import MAX_BULK, ConversationTitleInvalid, delete_many, owned, rename
from . import bp
from .page_data import sidebar_page
from .page_security import flash_in_place, is_htmx, safe_next


@bp.get("/conversations/list")
@jwt_required()
def conversation_list():
    """The side list for ``q`` from ``cursor`` on: list items for htmx; the chat page otherwise."""
    q, cursor = request.args.get("q", ""), request.args.get("cursor", "")
    if not is_htmx():
        args = {key: value for key, value in (("q", q), ("cursor", cursor)) if value}
        return redirect(url_for("web.index") + ("?" + urlencode(args) if args else ""), code=303)
    side = sidebar_page(current_user.id, q, cursor)
    current = request.args.get("current") or None
    return render_template(
        "_conversation_list.html", conversations=side.conversations, next_cursor=side.next_cursor,
        search_q=side.q, current_id=_as_uuid(current), appending=bool(cursor),
    )


def _as_uuid(value):
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@bp.post("/c/<conversation_id>/rename")
@jwt_required()
def rename_conversation(conversation_id: str):
    """Give a conversation a title of the user's own."""
    try:
        conversation = rename(current_user.id, conversation_id, request.form.get("title", ""))
    except ConversationTitleInvalid as exc:
        if is_htmx():
            return flash_in_place(str(exc), 422, target="#composer-error")
        flash(str(exc), "error")
        return redirect(url_for("web.conversation", conversation_id=conversation_id), code=303)
    if is_htmx():
        side = sidebar_page(current_user.id)
        return render_template(
            "_conversation_switch.html", conversation=conversation, messages=messages_of(conversation),
            conversations=side.conversations, next_cursor=side.next_cursor, search_q="", current_id=conversation.id,
        )
    flash("Conversation renamed.", "info")
    return redirect(url_for("web.conversation", conversation_id=conversation.id), code=303)


@bp.post("/conversations/delete")
@jwt_required()
def delete_conversations():
    """Delete the ticked conversations (``ids``); without JavaScript a page asks first."""
    ids = request.form.getlist("ids")[: MAX_BULK + 1]
    back = safe_next(request.form.get("next"), url_for("web.index"))
    open_id = request.form.get("open", "")
    if not ids:
        message = "Tick the conversations to delete first."
        if is_htmx():
            return flash_in_place(message, 422)
        flash(message, "error")
        return redirect(back, code=303)
    if len(ids) > MAX_BULK:
        message = f"At most {MAX_BULK} conversations at once."
        if is_htmx():
            return flash_in_place(message, 422)
        flash(message, "error")
        return redirect(back, code=303)
    if not is_htmx() and request.form.get("confirmed") != "1":
        return render_template(
            "confirm_delete.html", conversations_to_delete=owned(current_user.id, ids),
            action=url_for("web.delete_conversations"), open_id=open_id, next=back,
        )
    count = delete_many(current_user.id, ids)
    was_open = open_id in ids
    if is_htmx():
        if was_open:
            return "", 204, {"HX-Redirect": url_for("web.index")}
        side = sidebar_page(current_user.id)
        return render_template(
            "_conversation_list.html", conversations=side.conversations, next_cursor=side.next_cursor,
            search_q="", current_id=_as_uuid(open_id),
        )
    flash(f"Deleted {count} conversation{'s' if count != 1 else ''}.", "info")
    return redirect(url_for("web.index") if was_open else back, code=303)
