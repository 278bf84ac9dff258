"""Who is acting: a user as loaded for one request or command, with the roles they hold now."""

from __future__ import annotations

from dataclasses import dataclass

from review.enums import Role


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    full_name: str
    roles: frozenset[Role]
    qualifications: frozenset[str]

    def has(self, role: Role) -> bool:
        return role in self.roles
