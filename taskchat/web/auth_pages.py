"""Sign up, sign in and sign out as plain forms; the same ``auth_token`` cookie as the API."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_jwt_extended import current_user, jwt_required
from pydantic import ValidationError

from ..auth import revoke_all_tokens, revoke_current_token, sign_in
from ..models import User
from ..schemas import LoginRequest, RegisterRequest, known_timezones
from ..services import EmailTaken, create_user
from . import bp
from .page_security import require_same_origin, safe_next

FIELD_LABELS = {"email": "Email", "password": "Password", "timezone": "Time zone"}


def _signed_in(user: User, next_path: str | None):
    response = redirect(safe_next(next_path), code=303)
    sign_in(response, user)
    return response


def _problems(exc: ValidationError) -> list[str]:
    messages = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        field = str(err["loc"][0]) if err["loc"] else ""
        messages.append(f"{FIELD_LABELS.get(field, field)}: {err['msg']}")
    return messages


@bp.get("/login")
def login_form():
    """The sign-in form; ``next`` (a local path) is where to go afterwards."""
    return render_template("login.html", next=safe_next(request.args.get("next")))


@bp.post("/login")
def login():
    """Check the credentials, set the cookie, 303 to ``next``; the form again on failure."""
    require_same_origin()
    next_path = safe_next(request.form.get("next"))
    email = request.form.get("email", "")
    try:
        data = LoginRequest.model_validate(
            {"email": email, "password": request.form.get("password", "")}
        )
    except ValidationError:
        flash("Enter your email and password.", "error")
        return render_template("login.html", next=next_path, email=email), 422
    user = User.authenticate(data.email, data.password)
    if user is None:
        flash("Wrong email or password.", "error")
        return render_template("login.html", next=next_path, email=email), 401
    return _signed_in(user, next_path)


@bp.get("/register")
def register_form():
    """The sign-up form."""
    return render_template("register.html", next=safe_next(request.args.get("next")), zones=sorted(known_timezones()))


@bp.post("/register")
def register():
    """Create the account, sign in, 303 to ``next``; the form with the problems otherwise."""
    require_same_origin()
    next_path = safe_next(request.form.get("next"))
    email = request.form.get("email", "")
    fields = {"email": email, "password": request.form.get("password", "")}
    # The zone comes from the browser (app.js), not from the person: one it cannot name
    # falls back to UTC instead of failing the sign-up.
    if request.form.get("timezone") in known_timezones():
        fields["timezone"] = request.form["timezone"]
    try:
        data = RegisterRequest.model_validate(fields)
        user = create_user(data.email, data.password, data.timezone)
    except ValidationError as exc:
        for problem in _problems(exc):
            flash(problem, "error")
        return render_template("register.html", next=next_path, email=email, zones=sorted(known_timezones()),
                               timezone=fields.get("timezone")), 422
    except EmailTaken:
        flash("An account with this email already exists.", "error")
        return render_template("register.html", next=next_path, email=email, zones=sorted(known_timezones()),
                               timezone=fields.get("timezone")), 409
    return _signed_in(user, next_path)


@bp.post("/logout")
@jwt_required()
def logout():
    """Revoke the token, clear the cookies, back to the sign-in page."""
    response = redirect(url_for("web.login_form"), code=303)
    revoke_current_token(response)
    flash("You are signed out.", "info")
    return response


@bp.post("/logout-all")
@jwt_required()
def logout_all():
    """Sign out on every device: every token of the account is revoked; to the sign-in page."""
    response = redirect(url_for("web.login_form"), code=303)
    revoke_all_tokens(current_user, response)
    flash("You are signed out everywhere.", "info")
    return response
