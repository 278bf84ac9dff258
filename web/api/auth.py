"""Tokens: log in with a password for a bearer token; revoke the token you hold."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from review import clock
from review.errors import Forbidden
from review.throttle import Throttled, throttled_log_in
from review.users import create_token, revoke_token
from web.api.deps import BearerToken, CurrentActor, DatabaseDep, SettingsDep, unauthenticated
from web.api.errors import ApiError
from web.api.schemas import TokenRequest, TokenResponse, error

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={
        401: {"description": "wrong username or password, or a deactivated user"},
        429: {"description": "too many failed log-ins for the account or from the address; see Retry-After"},
    },
)
def log_in(credentials: TokenRequest, request: Request, database: DatabaseDep, settings: SettingsDep) -> TokenResponse:
    """Exchange a username and password for a bearer token (it expires; see SANSHEN_LOGIN_TOKEN_HOURS).

    Throttled: after 5 failures for an account, or 20 from an address, in 15 minutes, 429 with
    Retry-After until the oldest leaves the window."""
    address = request.client.host if request.client else "unknown"
    try:
        actor = throttled_log_in(
            database, username=credentials.username, password=credentials.password, address=address
        )
    except Throttled as throttled:
        raise ApiError(
            429, throttled.message, code=throttled.code, headers={"Retry-After": str(throttled.retry_after)}
        ) from None
    except Forbidden:
        raise unauthenticated("wrong username or password, or the user is deactivated", "wrong_password") from None
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
