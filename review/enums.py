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


class StepKind(StrEnum):
    PROOFREAD = "proofread"
    REVIEW = "review"
    COMMITTEE = "committee"


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
}
"""The six checks (六关) a reviewer may attest, and 核红 (R19): a proofreader's attestation that the
previous proofread's corrections were applied correctly, required when that round corrected the text.
Each with its zh and en names."""
HEHONG = "hehong"

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
