"""``GET /chatkit``: the page hosting OpenAI's ChatKit web component, wired to this backend.

The component comes from OpenAI's CDN (so the browser needs the internet); it talks to
``POST /api/v1/chatkit`` through ``static/chatkit.js``, whose fetch sends the sign-in cookie
and the CSRF header. The page sets its own Content-Security-Policy to allow the CDN.

It is laid out as the seed's widget was: a floating button bottom-right opens the chat, in
the theme colour, with a header title, a start-screen greeting and quick prompts — all
settings (``TASKCHAT_CHATKIT_*``) with the seed's values as defaults. When the script cannot
be loaded (offline, blocked), the panel says so and links to the plain chat.
"""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_jwt_extended import jwt_required

from . import bp

CHATKIT_SCRIPT = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js"
# The component loads from the CDN, renders in a frame from it, and checks the domain key
# with OpenAI; everything else stays on this origin.
CHATKIT_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' https://cdn.platform.openai.com",
        "frame-src https://cdn.platform.openai.com",
        "connect-src 'self' https://*.openai.com",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "font-src 'self' data: https:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def domain_key() -> str:
    """The ChatKit domain key: any value works on localhost; public hosts must be allow-listed."""
    return current_app.config["TASKCHAT_CHATKIT_DOMAIN_KEY"]


# The seed's widget: blue (#2563eb), bottom-right 24 px from the edges, these quick prompts.
DEFAULTS = {
    "TASKCHAT_CHATKIT_TITLE": "Task Assistant",
    "TASKCHAT_CHATKIT_ACCENT": "#2563eb",
    "TASKCHAT_CHATKIT_GREETING": "What's on your list?",
    "TASKCHAT_CHATKIT_PROMPTS": [
        {"label": "Add a task", "prompt": "Add a task to buy groceries", "icon": "plus"},
        {"label": "Show my tasks", "prompt": "Show me all my tasks", "icon": "check-circle"},
        {"label": "Complete a task", "prompt": "Mark task 1 as complete", "icon": "check"},
        {"label": "Rename a task", "prompt": "Update task 2 title to 'Buy organic milk'", "icon": "write"},
    ],
}


def setting(name: str):
    value = current_app.config.get(name)
    return DEFAULTS[name] if value in (None, "", []) else value


def page_config() -> dict:
    """What ``static/chatkit.js`` needs: the backend, the look, and what the composer offers."""
    return {
        "apiUrl": url_for("api.chatkit"),
        "domainKey": domain_key(),
        "loginUrl": url_for("web.login_form"),
        "scriptUrl": CHATKIT_SCRIPT,
        "tasksUrl": url_for("api.tasks_index"),
        "title": setting("TASKCHAT_CHATKIT_TITLE"),
        "accent": setting("TASKCHAT_CHATKIT_ACCENT"),
        "greeting": setting("TASKCHAT_CHATKIT_GREETING"),
        "prompts": setting("TASKCHAT_CHATKIT_PROMPTS"),
        # The microphone only when a model server can turn speech into text.
        "dictation": bool(current_app.config.get("TASKCHAT_LLM_BASE_URL")),
    }


@bp.get("/chatkit")
@jwt_required()
def chatkit_page():
    """The ChatKit web component, signed in as the current user."""
    config = page_config()
    html = render_template("chatkit.html", chatkit_config=config, chatkit_title=config["title"])
    return html, 200, {"Content-Security-Policy": CHATKIT_CSP}
