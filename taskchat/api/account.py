"""The account itself: change the password (other sessions are signed out), delete the account
and everything in it."""

from flask import jsonify
from flask_jwt_extended import create_access_token, current_user, jwt_required
from pydantic import Field

from .. import account
from ..auth import sign_in
from ..errors import APIError
from ..schemas import NewPassword, Strict
from ..transactions import writing
from . import bp
from .schemas import AuthResponse, OkResponse
from .validation import documented, json_body


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: NewPassword


class AccountDeletion(Strict):
    password: str = Field(min_length=1, max_length=256, description="The account's password, to confirm.")


@bp.post("/me/password")
@jwt_required()
@documented(summary="Change the password; every other session is signed out, this one gets a new token",
            body=PasswordChange, response=AuthResponse, errors=(403, 415, 422))
def me_change_password():
    body = json_body(PasswordChange)
    user = current_user._get_current_object()
    try:
        with writing():
            account.change_password(user, body.current_password, body.new_password)
    except account.WrongPassword as exc:
        raise APIError(403, "wrong_password", "The current password is wrong.") from exc
    # Every token of the account was revoked; this session continues with a fresh one.
    token = create_access_token(identity=user)
    response = jsonify(user=user.to_dict(), access_token=token)
    sign_in(response, user, token)
    return response


@bp.delete("/me")
@jwt_required()
@documented(summary="Delete the account and everything in it (tasks, reminders, conversations)",
            body=AccountDeletion, response=OkResponse, errors=(403, 415, 422))
def me_delete():
    body = json_body(AccountDeletion)
    try:
        with writing():
            account.delete_account(current_user._get_current_object(), body.password)
    except account.WrongPassword as exc:
        raise APIError(403, "wrong_password", "The password is wrong; nothing was deleted.") from exc
    from flask_jwt_extended import unset_jwt_cookies

    response = jsonify(ok=True)
    unset_jwt_cookies(response)
    return response
