"""Tokens: log in with a password for a bearer token; revoke the token you hold."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response

from review import clock
from review.users import authenticate_password, create_token, revoke_token
from web.api.deps import BearerToken, CurrentActor, DatabaseDep, SettingsDep, unauthenticated
from web.api.schemas import TokenRequest, TokenResponse, error

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={401: {"description": "wrong username or password, or a deactivated user"}},
)
def log_in(credentials: TokenRequest, database: DatabaseDep, settings: SettingsDep) -> TokenResponse:
    """Exchange a username and password for a bearer token (it expires; see SANSHEN_LOGIN_TOKEN_HOURS)."""
    with database.read() as session:
        actor = authenticate_password(session, username=credentials.username, password=credentials.password)
    if actor is None:
        raise unauthenticated("wrong username or password, or the user is deactivated", "wrong_password")
    expires_at = clock.now() + timedelta(hours=settings.login_token_hours)
    with database.write() as session:
        token = create_token(session, username=actor.username, label="log-in", expires_at=expires_at, actor=actor)
    return TokenResponse(token=token, user=actor.username, expires_at=expires_at)


@router.delete("/auth/token", status_code=204, response_class=Response, responses={409: error("already revoked")})
def log_out(token: BearerToken, actor: CurrentActor, database: DatabaseDep) -> Response:
    """Revoke the token this request was made with."""
    with database.write() as session:
        revoke_token(session, actor=actor, secret=token)
    return Response(status_code=204)
