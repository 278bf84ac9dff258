"""The Ed25519 key that signs exports and checkpoints, kept under SANSHEN_HOME (mode 0700).

The private key never enters the database: someone who can rewrite the database still cannot forge a
signed export.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from review.config import get_settings
from review.errors import Invalid

KEY_FILE = "signing-key.pem"


def ensure_home(home: Path) -> Path:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if home.stat().st_mode & 0o077:
        home.chmod(0o700)
    return home


def ensure_signing_key(home: Path) -> tuple[Path, bool]:
    """Create the key if there is none; return its path and whether it was created now."""
    path = ensure_home(home) / KEY_FILE
    if path.exists():
        load_signing_key(home)
        return path, False
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return path, True


def load_signing_key(home: Path) -> Ed25519PrivateKey:
    path = home / KEY_FILE
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise Invalid(f"no signing key at {path}; run `sanshen init`", code="no_signing_key") from None
    except ValueError:
        raise Invalid(f"{path} is not a PEM private key", code="bad_signing_key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise Invalid(f"{path} is not an Ed25519 key", code="bad_signing_key")
    return key


def public_key_pem(home: Path) -> str:
    return (
        load_signing_key(home)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signing_seed(home: Path) -> bytes:
    """The raw 32-byte private key, for signing files in chunks (`review.ed25519`)."""
    return load_signing_key(home).private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def public_key_raw(home: Path) -> bytes:
    return load_signing_key(home).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_pem(pem: bytes) -> bytes:
    """The raw key of a PEM public key (SubjectPublicKeyInfo), as GET /api/v1/audit/public-key serves it."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise Invalid("the public key is not a PEM public key", code="bad_public_key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Invalid("the public key is not an Ed25519 key", code="bad_public_key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@cache
def _signer(home: Path) -> Ed25519PrivateKey:
    return load_signing_key(home)


def head_signer() -> Ed25519PrivateKey:
    """The key that signs the trail's head at every append: the one under SANSHEN_HOME, read once."""
    return _signer(get_settings().home.resolve())
