"""Closed vocabularies of the domain. Step ids are not here: they come from workflow definitions."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AUTHOR = "author"
    PROOFREADER = "proofreader"
    REVIEWER1 = "reviewer1"
    REVIEWER2 = "reviewer2"
    REVIEWER3 = "reviewer3"
    COMMITTEE = "committee"
    PUBLISHER = "publisher"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Decision(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    APPROVE_WITH_CHANGES = "approve_with_changes"
    """改后付印: a read-through approved after its reader corrected the text; someone else checks the
    corrections before the step is done (R20)."""


class StepKind(StrEnum):
    PROOFREAD = "proofread"
    REVIEW = "review"
    COMMITTEE = "committee"
    READTHROUGH = "readthrough"
    """通读: a reading in full of the final text, ending in 付印 or 改后付印 (R15, R20)."""


CORRECTING_KINDS = frozenset({StepKind.PROOFREAD, StepKind.READTHROUGH})
"""Steps inside which the signer may correct the text (R18)."""


class StepStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SIGNED = "signed"
    SKIPPED = "skipped"


class DraftState(StrEnum):
    """The fixed states of a draft. While under review, a draft's state is the id of its active step."""

    DRAFT = "draft"
    RETURNED = "returned"
    APPROVED = "approved"
    PUBLISHED = "published"
    RETRACTED = "retracted"
    REJECTED = "rejected"


class Importance(StrEnum):
    """分级分类: the importance class of a draft (普通 / 重要 / 敏感)."""

    NORMAL = "normal"
    IMPORTANT = "important"
    SENSITIVE = "sensitive"


class RunOutcome(StrEnum):
    """How a cycle of the workflow (one submission) ended."""

    IN_PROGRESS = "in_progress"
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"


class EventKind(StrEnum):
    CREATED = "created"
    REVISED = "revised"
    RETAGGED = "retagged"
    SUBMITTED = "submitted"
    DECIDED = "decided"
    RETURNED = "returned"
    REJECTED = "rejected"
    PUBLISHED = "published"
    RETRACTED = "retracted"
    PRECHECKED = "prechecked"
    PRECHECK_OVERRIDDEN = "precheck_overridden"
    RULESET_IMPORTED = "ruleset_imported"
    CHANNEL_CHANGED = "channel_changed"
    USER_CREATED = "user_created"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    USER_ROLES_CHANGED = "user_roles_changed"
    USER_QUALIFICATIONS_CHANGED = "user_qualifications_changed"
    PASSWORD_RESET = "password_reset"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    WORKFLOW_REGISTERED = "workflow_registered"
    CHECKPOINT = "checkpoint"


CHECK_LABELS: dict[str, tuple[str, str]] = {
    "political": ("政治关", "political"),
    "policy": ("政策关", "policy"),
    "legal": ("法律关", "legal"),
    "factual": ("事实关", "factual"),
    "secrecy": ("保密关", "secrecy"),
    "language": ("文字关", "language"),
    "hehong": ("核红", "previous corrections checked"),
    "read_in_full": ("通读全文", "read in full"),
    "error_rate": ("差错率超标已知悉", "error rate over the limit seen"),
}
"""The six checks (六关) a reviewer may attest; 核红 (R19): a proofreader's attestation that the previous
round's corrections were applied correctly, required when that round corrected the text; 通读全文, which
a read-through attests (R20); and the final review's acknowledgement that the last proofread found more
errors than the channel allows (R21). Each with its zh and en names."""
HEHONG = "hehong"
READ_IN_FULL = "read_in_full"
ERROR_RATE = "error_rate"

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.AUTHOR: ("采编", "author"),
    Role.PROOFREADER: ("校对", "proofreader"),
    Role.REVIEWER1: ("初审", "first reviewer"),
    Role.REVIEWER2: ("复审", "second reviewer"),
    Role.REVIEWER3: ("终审", "final reviewer"),
    Role.COMMITTEE: ("专门委员会", "committee member"),
    Role.PUBLISHER: ("发布", "publisher"),
    Role.AUDITOR: ("审计", "auditor"),
    Role.ADMIN: ("管理员", "administrator"),
}
