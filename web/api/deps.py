"""Dependencies: the database, and the actor a bearer token stands for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from review.actors import Actor
from review.config import Settings
from review.db import Database
from review.users import authenticate_token
from web.api.errors import ApiError

bearer = HTTPBearer(auto_error=False, description="A token from `POST /api/v1/auth/token` or `sanshen token create`.")


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def unauthenticated(detail: str, code: str) -> ApiError:
    return ApiError(401, detail, code=code, headers={"WWW-Authenticate": "Bearer"})


def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    if credentials is None:
        raise unauthenticated("not authenticated: send the header `Authorization: Bearer <token>`", "not_authenticated")
    return credentials.credentials


def current_actor(token: Annotated[str, Depends(bearer_token)], database: DatabaseDep) -> Actor:
    with database.read() as session:
        actor = authenticate_token(session, token)
    if actor is None:
        raise unauthenticated(
            "the token is not valid: unknown, revoked or expired, or its user is deactivated", "invalid_token"
        )
    return actor


BearerToken = Annotated[str, Depends(bearer_token)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
