"""What every page answer carries: a strict Content-Security-Policy, ``Vary: HX-Request``
(``nosniff`` and ``Referrer-Policy`` are on every answer of the app, see ``http_headers``),
and the checks for forms that are posted before anyone is signed in."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, render_template, request
from flask_jwt_extended import current_user, get_jwt
from flask_jwt_extended.exceptions import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

from . import bp

# htmx and the page's own script are served from static/, so nothing inline is needed:
# no 'unsafe-inline', no 'unsafe-eval' (htmx only evaluates hx-on / js: attributes, unused here).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def is_htmx() -> bool:
    """True for requests htmx made for a fragment (a history restore wants the full page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@bp.context_processor
def signed_in_page() -> dict:
    """What every signed-in page and fragment draws with: the user, their zone, the form token.

    Nothing on a page that needs no sign-in (the sign-in form itself), where there is no token.
    """
    try:
        claims = get_jwt()
    except RuntimeError:  # a view without ``jwt_required``
        return {}
    if not claims:
        return {}
    return {"user": current_user, "timezone": current_user.timezone, "csrf_token": claims["csrf"]}


def flash_in_place(message: str, status: int, target: str = "#flash"):
    """For htmx: ``message`` in ``target`` (``#flash`` unless the form has an error area of its
    own, next to where the person is looking), not swapped into the form's target.

    htmx 4 swaps error responses too; without the retarget an error would land inside the
    message list.
    """
    body = render_template("_flash.html", flashes=[("error", message)])
    return current_app.response_class(body, status=status, headers={"HX-Retarget": target, "HX-Reswap": "innerHTML"})


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a page of this site that answers GET, else ``default``.

    Only local paths: no scheme, no host, no ``//evil.example`` or ``/\\evil.example``
    (browsers read both as another host). A path that only takes POST (the sign-in redirect
    after an expired form post carries one) would answer 405, so it falls back too. So does a
    path the router would redirect (``/static//evil.example/x`` merges its slashes with a 308
    to an absolute URL on the bound host): a redirect is never followed, and a 308 after a
    sign-in post would make the browser send the password again to wherever it points.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(parts.path, method="GET")
    except (HTTPException, RoutingException):  # 404, 405, and RequestRedirect (308)
        return default
    return target


def require_same_origin() -> None:
    """Refuse a cross-site post of the sign-in and sign-up forms (login CSRF).

    Those forms come before there is a token to double-submit. Browsers send ``Origin`` on
    every POST (``Referer`` as a fallback); a value naming another site is refused with 403.
    A request with neither is not from a browser page, so there is no victim to protect.
    """
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return
    parts = urlsplit(source)
    if f"{parts.scheme}://{parts.netloc}" != request.host_url.rstrip("/"):
        abort(403, "This form must be sent from taskchat's own page.")


@bp.errorhandler(CSRFError)
def form_token_refused(_exc: CSRFError):
    """A page form without the right ``csrf_token``: refused before the view runs, as a page.

    The app-wide handler answers JSON, which suits the API; a person gets a page (or, for
    htmx, a flash in place) that says what to do.
    """
    message = "The form expired or did not come from taskchat; reload the page and try again."
    if is_htmx():
        return flash_in_place(message, 403)
    return render_template("error.html", status=403, title="Form refused", message=message), 403


@bp.errorhandler(HTTPException)
def page_error(exc: HTTPException):
    """Errors raised by page views: the error page, or for htmx a flash in place.

    htmx 4 swaps error responses too; a whole error page inside the message list would be
    nonsense, so htmx gets the message where flashes go.
    """
    status = exc.code or 500
    message = exc.description or exc.name
    if is_htmx():
        return flash_in_place(message, status)
    return render_template("error.html", status=status, title=exc.name, message=message), status


def _is_chatkit_page() -> bool:
    # /chatkit loads the ChatKit component from OpenAI's CDN; it sets its own policy.
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and view.__module__.endswith(".chatkit_page")


@bp.after_request
def page_headers(response):
    """Security headers and the cache key for pages that answer htmx with fragments."""
    response.vary.add("HX-Request")
    if response.mimetype in ("text/html", "text/event-stream") and not _is_chatkit_page():
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if response.mimetype == "text/html":
        # Pages show one user's data: no shared caches, and no stale copy after sign-out.
        response.headers.setdefault("Cache-Control", "no-store")
    if is_htmx() and response.status_code in (301, 302, 303) and "/login" in response.location:
        # fetch() would follow the redirect and swap the sign-in page into a fragment's place;
        # HX-Redirect makes htmx load it as a whole page instead.
        response.headers["HX-Redirect"] = response.location
        response.status_code = 204
        del response.headers["Location"]
    return response
