"""``GET /chatkit``: the page hosting OpenAI's ChatKit web component, wired to this backend.

The component comes from OpenAI's CDN (so the browser needs the internet); it talks to
``POST /api/v1/chatkit`` through ``static/chatkit.js``, whose fetch sends the sign-in cookie
and the CSRF header. The page sets its own Content-Security-Policy to allow the CDN.
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


@bp.get("/chatkit")
@jwt_required()
def chatkit_page():
    """The ChatKit web component, signed in as the current user."""
    config = {
        "apiUrl": url_for("api.chatkit"),
        "domainKey": domain_key(),
        "loginUrl": url_for("web.login_form"),
    }
    html = render_template("chatkit.html", chatkit_config=config, chatkit_script=CHATKIT_SCRIPT)
    return html, 200, {"Content-Security-Policy": CHATKIT_CSP}
