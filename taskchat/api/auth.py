"""Register, sign in, sign out, who am I."""

from flask import jsonify
from flask_jwt_extended import create_access_token, current_user, jwt_required

from ..auth import revoke_all_tokens, revoke_current_token, sign_in
from ..errors import APIError
from ..models import User
from ..services import EmailTaken, create_user
from . import bp
from .schemas import AuthResponse, LoginRequest, MeResponse, OkResponse, RegisterRequest
from .validation import documented, json_body


def _signed_in(user: User, status: int):
    token = create_access_token(identity=user)
    response = jsonify(user=user.to_dict(), access_token=token)
    sign_in(response, user, token)
    return response, status


@bp.post("/auth/register")
@documented(summary="Create an account and sign in", body=RegisterRequest, response=AuthResponse,
            status=201, auth=False, errors=(409, 422))
def register():
    data = json_body(RegisterRequest)
    try:
        user = create_user(data.email, data.password, data.timezone)
    except EmailTaken as exc:
        raise APIError(409, "email_taken", "An account with this email already exists.") from exc
    return _signed_in(user, 201)


@bp.post("/auth/login")
@documented(summary="Sign in", body=LoginRequest, response=AuthResponse, auth=False, errors=(401, 422))
def login():
    data = json_body(LoginRequest)
    user = User.authenticate(data.email, data.password)
    if user is None:
        raise APIError(401, "invalid_credentials", "Wrong email or password.")
    return _signed_in(user, 200)


@bp.post("/auth/logout")
@jwt_required()
@documented(summary="Sign out: revoke the token and clear the cookie", response=OkResponse)
def logout():
    response = jsonify(ok=True)
    revoke_current_token(response)
    return response


@bp.post("/auth/logout-all")
@jwt_required()
@documented(summary="Sign out everywhere: revoke every token of the account and clear the cookie",
            response=OkResponse)
def logout_all():
    response = jsonify(ok=True)
    revoke_all_tokens(current_user, response)
    return response


@bp.get("/auth/me")
@jwt_required()
@documented(summary="The signed-in user", response=MeResponse)
def me():
    return {"user": current_user.to_dict()}
