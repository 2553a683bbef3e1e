"""The chat page: conversations on the side, the open conversation, the message form.

Every action is a real form. Without JavaScript a post answers 303 back to the page
(post/redirect/get); for htmx the same post answers only the new fragments.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_jwt_extended import current_user, get_jwt, jwt_required

from ..agent import ConversationNotFound, get_conversation, process_request, start_turn
from ..agent.history import delete_conversation, messages_of
from ..api.schemas import MAX_MESSAGE_CHARS
from ..sse import SSE_HEADERS
from . import bp
from .chat_stream import stream_turn
from .page_data import sidebar, task_panel
from .page_security import is_htmx, safe_next


def page_context(**extra):
    """What every signed-in page and fragment needs: the user and the form token."""
    return {
        "user": current_user,
        "timezone": current_user.timezone,
        "csrf_token": get_jwt()["csrf"],
        **extra,
    }


def _owned_or_404(conversation_id: str):
    try:
        return get_conversation(current_user.id, conversation_id)
    except ConversationNotFound:
        abort(404, "There is no such conversation.")


def _chat_page(conversation):
    context = page_context(
        conversation=conversation,
        messages=messages_of(conversation) if conversation else [],
        conversations=sidebar(current_user.id),
        current_id=conversation.id if conversation else None,
    )
    if is_htmx():
        # Switching conversations from the side list: the middle column and the list.
        return render_template("_conversation_switch.html", **context)
    return render_template(
        "chat.html", panel=task_panel(current_user), page_path=request.path, **context
    )


@bp.get("/")
@jwt_required()
def index():
    """The chat page with no conversation open: the next message starts one."""
    return _chat_page(None)


@bp.get("/c/<conversation_id>")
@jwt_required()
def conversation(conversation_id: str):
    """The chat page with one of the user's conversations open."""
    return _chat_page(_owned_or_404(conversation_id))


def _refuse(message: str, back: str, status: int = 422):
    """A message that cannot be sent: a flash, in place for htmx or after a redirect."""
    if is_htmx():
        response = current_app.response_class(
            render_template("_flash.html", flashes=[("error", message)]), status=status
        )
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    flash(message, "error")
    return redirect(back, code=303)


@bp.post("/messages")
@jwt_required()
def send_message():
    """Send the ``message`` field to the agent, in ``conversation_id`` or a new conversation."""
    conversation_id = request.form.get("conversation_id") or None
    if conversation_id:
        _owned_or_404(conversation_id)
    back = (
        url_for("web.conversation", conversation_id=conversation_id)
        if conversation_id
        else url_for("web.index")
    )
    message = request.form.get("message", "")
    if not message.strip():
        return _refuse("Message can't be empty.", back)
    if len(message) > MAX_MESSAGE_CHARS:
        return _refuse(f"Message is too long (at most {MAX_MESSAGE_CHARS} characters).", back)

    if not is_htmx():
        reply = process_request(current_user.id, message, conversation_id)
        return redirect(
            url_for("web.conversation", conversation_id=reply.conversation_id, _anchor="latest"),
            code=303,
        )

    start = start_turn(current_user.id, message, conversation_id)
    delay = current_app.config["TASKCHAT_STREAM_DELAY_MS"] / 1000
    response = Response(
        stream_with_context(
            stream_turn(
                current_user.id,
                start.conversation_id,
                start.user_message_id,
                created=start.created,
                csrf_token=get_jwt()["csrf"],
                timezone=current_user.timezone,
                delay_seconds=delay,
            )
        ),
        headers=SSE_HEADERS,
    )
    if start.created:
        response.headers["HX-Replace-Url"] = url_for(
            "web.conversation", conversation_id=start.conversation_id
        )
    return response


@bp.post("/c/<conversation_id>/delete")
@jwt_required()
def delete(conversation_id: str):
    """Delete one of the user's conversations and its messages."""
    try:
        delete_conversation(current_user.id, conversation_id)
    except ConversationNotFound:
        abort(404, "There is no such conversation.")
    was_open = request.form.get("open") == conversation_id
    if is_htmx() and not was_open:
        return "", 200  # htmx removes the list entry (hx-swap="delete")
    if is_htmx():
        return "", 204, {"HX-Redirect": url_for("web.index")}
    flash("Conversation deleted.", "info")
    if was_open:
        return redirect(url_for("web.index"), code=303)
    return redirect(safe_next(request.form.get("next"), url_for("web.index")), code=303)
