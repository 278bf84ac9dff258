"""Streaming Ed25519 must be exactly Ed25519: checked against `cryptography` and against openssl."""

from __future__ import annotations

import base64
import os
import random
import subprocess
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from review import ed25519

SIZES = [0, 1, 31, 32, 63, 64, 100, 1000, 65_537, 3 * 1024 * 1024 + 7]


def chunks_of(message: bytes, size: int) -> ed25519.Chunks:
    return lambda: (message[i : i + size] for i in range(0, len(message), size)) if message else iter(())


def raw_seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.mark.parametrize("size", SIZES)
def test_signatures_are_byte_for_byte_those_of_cryptography(size: int) -> None:
    generator = random.Random(size)
    for _ in range(3):
        key = Ed25519PrivateKey.from_private_bytes(generator.randbytes(32))
        message = generator.randbytes(size)
        streamed = ed25519.sign(raw_seed(key), chunks_of(message, generator.choice([1, 7, 1000, 1 << 20])))
        assert streamed == key.sign(message)
        assert ed25519.public_key(raw_seed(key)) == raw_public(key)


def test_verification_accepts_good_and_refuses_altered_signatures_and_messages() -> None:
    generator = random.Random(7)
    for size in SIZES[:8]:
        key = Ed25519PrivateKey.from_private_bytes(generator.randbytes(32))
        message = generator.randbytes(size)
        signature = key.sign(message)
        public = raw_public(key)
        assert ed25519.verify(public, signature, chunks_of(message, 13))
        flipped = bytearray(signature)
        flipped[generator.randrange(64)] ^= 1 << generator.randrange(8)
        assert not ed25519.verify(public, bytes(flipped), chunks_of(message, 13))
        if message:
            changed = bytearray(message)
            changed[generator.randrange(size)] ^= 1
            assert not ed25519.verify(public, signature, chunks_of(bytes(changed), 13))
            with pytest.raises(InvalidSignature):
                Ed25519PublicKey.from_public_bytes(public).verify(signature, bytes(changed))
    assert not ed25519.verify(b"\x00" * 31, b"\x00" * 64, chunks_of(b"x", 1))
    assert not ed25519.verify(public, signature[:63], chunks_of(b"x", 1))


def test_openssl_verifies_a_file_signed_in_chunks(tmp_path: Path) -> None:
    """The contract's check, with standard tools only."""
    key = Ed25519PrivateKey.generate()
    data = tmp_path / "export.jsonl"
    data.write_bytes(os.urandom(2 * 1024 * 1024 + 11))
    signature = ed25519.sign(raw_seed(key), ed25519.file_chunks(str(data)))
    (tmp_path / "export.jsonl.sig").write_text(base64.b64encode(signature).decode() + "\n")
    (tmp_path / "key.pem").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    script = (
        "base64 -d export.jsonl.sig > sig.bin && openssl pkeyutl -verify -pubin -inkey key.pem -rawin "
        "-in export.jsonl -sigfile sig.bin"
    )
    checked = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "Signature Verified Successfully" in checked.stdout


def test_a_message_that_changes_between_the_two_reads_is_not_signed() -> None:
    """Two messages under one nonce would give away the key; the signer refuses instead."""
    reads = iter([b"first", b"second"])
    with pytest.raises(ValueError, match="changed while it was being signed"):
        ed25519.sign(os.urandom(32), lambda: [next(reads)])
