"""The account on the page: change the password, reset a forgotten one by an emailed link (when
SMTP is configured), delete the account. Plain forms: post → 303 (or the form again)."""

from __future__ import annotations

import logging
import smtplib

from flask import abort, flash, redirect, render_template, request, url_for
from flask_jwt_extended import current_user, jwt_required, unset_jwt_cookies

from .. import account
from ..auth import sign_in
from ..passwords import password_problem
from ..transactions import writing
from . import bp
from .page_security import require_same_origin

log = logging.getLogger(__name__)


@bp.post("/settings/password")
@jwt_required()
def change_password():
    """Change the password: every other session is signed out, this one signed in anew."""
    user = current_user._get_current_object()
    new = request.form.get("new_password", "")
    problem = password_problem(new) if len(new) <= 256 else "must be at most 256 characters long"
    if problem:
        flash(f"New password: {problem}.", "error")
        return redirect(url_for("web.settings") + "#password", code=303)
    try:
        with writing():
            account.change_password(user, request.form.get("current_password", "")[:256], new)
    except account.WrongPassword:
        flash("The current password is wrong; nothing changed.", "error")
        return redirect(url_for("web.settings") + "#password", code=303)
    response = redirect(url_for("web.settings"), code=303)
    sign_in(response, user)
    flash("Password changed. Other devices are signed out.", "info")
    return response


@bp.post("/settings/delete")
@jwt_required()
def delete_account():
    """Delete the account and everything in it, after the password is typed."""
    try:
        with writing():
            account.delete_account(current_user._get_current_object(), request.form.get("password", "")[:256])
    except account.WrongPassword:
        flash("The password is wrong; nothing was deleted.", "error")
        return redirect(url_for("web.settings") + "#delete", code=303)
    response = redirect(url_for("web.login_form"), code=303)
    unset_jwt_cookies(response)
    flash("Your account and everything in it are deleted.", "info")
    return response


@bp.get("/password/forgot")
def forgot_form():
    """Ask for a reset link (only when email can be sent)."""
    if not account.mail_configured():
        abort(404, "Password reset by email is not set up on this server.")
    return render_template("forgot.html")


@bp.post("/password/forgot")
def forgot():
    """Email a reset link if the address has an account; the same answer either way."""
    require_same_origin()
    if not account.mail_configured():
        abort(404, "Password reset by email is not set up on this server.")
    address = request.form.get("email", "").strip()[:320]
    if address:
        try:
            account.send_reset_email(address)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("password reset email failed: %s", exc)
            flash("The email could not be sent just now; try again in a few minutes.", "error")
            return render_template("forgot.html", email=address), 503
    flash("If an account has this address, an email with a reset link is on its way.", "info")
    return redirect(url_for("web.login_form"), code=303)


@bp.get("/password/reset/<token>")
def reset_form(token: str):
    """The new-password form of a reset link."""
    try:
        account.user_for_reset(token)
    except account.BadResetLink:
        abort(404, "This reset link is expired or was already used; ask for a new one.")
    return render_template("reset.html", token=token)


@bp.post("/password/reset/<token>")
def reset(token: str):
    """Set the new password; every session is signed out; sign in with it."""
    require_same_origin()
    new = request.form.get("new_password", "")
    problem = password_problem(new) if len(new) <= 256 else "must be at most 256 characters long"
    if problem:
        flash(f"New password: {problem}.", "error")
        return render_template("reset.html", token=token), 422
    try:
        with writing():
            account.reset_password(token, new)
    except account.BadResetLink:
        abort(404, "This reset link is expired or was already used; ask for a new one.")
    flash("Password changed; sign in with the new one.", "info")
    return redirect(url_for("web.login_form"), code=303)
