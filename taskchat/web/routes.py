"""The chat page: conversations on the side, the open conversation, the message form.

Every action is a real form. Without JavaScript a post answers 303 back to the page
(post/redirect/get); for htmx the same post answers only the new fragments.
"""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_jwt_extended import current_user, get_current_user, get_jwt, jwt_required

from .. import limits
from ..agent import get_conversation, process_request, start_turn
from ..agent.history import delete_conversation, messages_of
from ..services import InvalidMessage, check_message
from . import bp
from .chat_stream import stream_turn
from .page_data import sidebar_page, task_panel
from .page_security import flash_in_place, is_htmx, safe_next


def _refused_on_page(message: str):
    """A rate-limit refusal on the page: the flash in place for htmx; without JavaScript a
    redirect back to the form that was sent, the message flashed there."""
    if is_htmx():
        return flash_in_place(message, 429)
    flash(message, "error")
    if request.endpoint == "web.login":
        back = url_for("web.login_form")
    elif request.endpoint == "web.register":
        back = url_for("web.register_form")
    elif request.form.get("conversation_id"):
        back = url_for("web.conversation", conversation_id=request.form["conversation_id"])
    else:
        back = url_for("web.index")
    return redirect(back, code=303)


# The page's forms share their limits with the API's routes (one count per person, whichever
# surface is used); the refusal is the page's own.
limits.configure("web.login", limits=limits.SIGNIN, refusal=_refused_on_page)
limits.configure("web.register", limits=limits.SIGNUP, refusal=_refused_on_page)
limits.configure("web.send_message", limits=limits.CHAT, refusal=_refused_on_page)


def _chat_page(conversation, *, draft: str = "", composer_error: str | None = None, status: int = 200):
    side = sidebar_page(current_user.id, request.args.get("q"), request.args.get("cursor"))
    context = dict(
        conversation=conversation,
        messages=messages_of(conversation) if conversation else [],
        conversations=side.conversations,
        next_cursor=side.next_cursor,
        search_q=side.q,
        current_id=conversation.id if conversation else None,
        draft=draft,
        composer_error=composer_error,
    )
    if is_htmx():
        # Switching conversations from the side list: the middle column and the list.
        return render_template("_conversation_switch.html", **context)
    from .notices import notices_context

    # The panel's filter is part of the address, so it survives a plain form's round trip.
    panel = task_panel(current_user, request.args.get("view", "all"), request.args.get("tag"))
    back = request.full_path.rstrip("?")
    return render_template(
        "chat.html", panel=panel, page_path=request.path, panel_back=back, **context, **notices_context()
    ), status


@bp.get("/")
@jwt_required()
def index():
    """The chat page with no conversation open: the next message starts one."""
    return _chat_page(None)


@bp.get("/c/<conversation_id>")
@jwt_required()
def conversation(conversation_id: str):
    """The chat page with one of the user's conversations open."""
    return _chat_page(get_conversation(current_user.id, conversation_id))


def _refuse(message: str, conversation_id: str | None, draft: str, status: int = 422):
    """A message that cannot be sent: the reason next to the message box, the text kept in it.

    For htmx the reason goes into the composer's own live region (the box keeps its text in
    app.js); without JavaScript the page comes back as it was, with the text still in the box
    — a redirect would lose it.
    """
    if is_htmx():
        return flash_in_place(message, status, target="#composer-error")
    conversation = get_conversation(current_user.id, conversation_id) if conversation_id else None
    # NUL is what may have been refused; it has no place in the page either.
    return _chat_page(conversation, draft=draft.replace("\x00", ""), composer_error=message, status=status)


@bp.post("/messages")
@jwt_required()
def send_message():
    """Send the ``message`` field to the agent, in ``conversation_id`` or a new conversation."""
    conversation_id = request.form.get("conversation_id") or None
    draft = request.form.get("message", "")
    try:
        message = check_message(draft)
    except InvalidMessage as exc:
        return _refuse(str(exc), conversation_id, draft)

    if not is_htmx():
        reply = process_request(current_user.id, message, conversation_id)
        return redirect(
            url_for("web.conversation", conversation_id=reply.conversation_id, _anchor="latest"),
            code=303,
        )

    start = start_turn(current_user.id, message, conversation_id)
    response = stream_turn(get_current_user(), start, csrf_token=get_jwt()["csrf"])
    if start.created:
        response.headers["HX-Replace-Url"] = url_for(
            "web.conversation", conversation_id=start.conversation_id
        )
    return response


@bp.post("/c/<conversation_id>/delete")
@jwt_required()
def delete(conversation_id: str):
    """Delete one of the user's conversations and its messages.

    htmx has asked in the browser (``hx-confirm``); a plain form post is answered first with
    a page that asks, whose button posts again with ``confirmed=1``.
    """
    was_open = request.form.get("open") == conversation_id
    if not is_htmx() and request.form.get("confirmed") != "1":
        found = get_conversation(current_user.id, conversation_id)
        return render_template(
            "confirm_delete.html", conversations_to_delete=[found],
            action=url_for("web.delete", conversation_id=conversation_id),
            open_id=request.form.get("open", ""), next=safe_next(request.form.get("next"), url_for("web.index")),
        )
    delete_conversation(current_user.id, conversation_id)
    if is_htmx() and not was_open:
        return "", 200  # htmx removes the list entry (hx-swap="delete")
    if is_htmx():
        return "", 204, {"HX-Redirect": url_for("web.index")}
    flash("Conversation deleted.", "info")
    if was_open:
        return redirect(url_for("web.index"), code=303)
    return redirect(safe_next(request.form.get("next"), url_for("web.index")), code=303)
