"""Ed25519 (RFC 8032 §5.1) over a message read in chunks, so an export of any size is signed in
constant memory.

A signature is `R || S` with `r = SHA-512(prefix || M)`, `R = rB`, `k = SHA-512(R || A || M)` and
`S = r + k·a mod L`: the message is only ever hashed, so it can be read from a file twice instead of
being held in memory. The result is the ordinary Ed25519 signature of the file's exact bytes — the same
bytes `cryptography` would produce for the whole message at once (the tests check exactly that), and
what `openssl pkeyutl -verify -rawin` checks. The group arithmetic follows RFC 8032's own reference
(extended twisted Edwards coordinates); it runs once per signature, not per chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

Point = tuple[int, int, int, int]
Chunks = Callable[[], Iterable[bytes]]
"""Something that yields the message's bytes, chunk by chunk, each time it is called."""


def _add(p: Point, q: Point) -> Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % _P, g * h % _P, f * g % _P, e * h % _P


def _multiply(scalar: int, point: Point) -> Point:
    """A Montgomery ladder over all 256 bits: the same additions whatever the scalar, so its length
    does not show in the time taken (Python's integers are not constant-time; this removes the gross leak)."""
    low: Point = (0, 1, 1, 0)
    high = point
    for bit in range(255, -1, -1):
        if (scalar >> bit) & 1:
            low, high = _add(low, high), _add(high, high)
        else:
            high, low = _add(low, high), _add(low, low)
    return low


def _equal(p: Point, q: Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    return _P - x if (x & 1) != sign else x


_BASE_Y = 4 * pow(5, _P - 2, _P) % _P
_BASE_X = _recover_x(_BASE_Y, 0)
assert _BASE_X is not None
_BASE: Point = (_BASE_X, _BASE_Y, 1, _BASE_X * _BASE_Y % _P)


def _compress(point: Point) -> bytes:
    z_inverse = pow(point[2], _P - 2, _P)
    x, y = point[0] * z_inverse % _P, point[1] * z_inverse % _P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(data: bytes) -> Point | None:
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _hash_mod_l(prefix: bytes, chunks: Chunks) -> tuple[int, bytes]:
    """SHA-512(prefix || message) mod L, and the message's own SHA-256 to compare the two reads by."""
    digest, fingerprint = hashlib.sha512(prefix), hashlib.sha256()
    for chunk in chunks():
        digest.update(chunk)
        fingerprint.update(chunk)
    return int.from_bytes(digest.digest(), "little") % _L, fingerprint.digest()


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key of a 32-byte private key (seed)."""
    return _compress(_multiply(_secret_scalar(seed), _BASE))


def _secret_scalar(seed: bytes) -> int:
    if len(seed) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    scalar = int.from_bytes(hashlib.sha512(seed).digest()[:32], "little")
    return (scalar & ((1 << 254) - 8)) | (1 << 254)


def sign(seed: bytes, chunks: Chunks) -> bytes:
    """The 64-byte Ed25519 signature of the message `chunks` yields (read twice).

    Both reads must see the same bytes: signing two different messages with the same nonce would
    reveal the key, so a message that changed between the reads is refused.
    """
    scalar = _secret_scalar(seed)
    prefix = hashlib.sha512(seed).digest()[32:]
    public = _compress(_multiply(scalar, _BASE))
    r, first_read = _hash_mod_l(prefix, chunks)
    big_r = _compress(_multiply(r, _BASE))
    k, second_read = _hash_mod_l(big_r + public, chunks)
    if first_read != second_read:
        raise ValueError("the message changed while it was being signed")
    return big_r + int.to_bytes((r + k * scalar) % _L, 32, "little")


def verify(public: bytes, signature: bytes, chunks: Chunks) -> bool:
    """Whether `signature` is a valid Ed25519 signature by `public` of the message `chunks` yields."""
    if len(signature) != 64:
        return False
    point_a, point_r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if point_a is None or point_r is None or s >= _L:
        return False
    k, _ = _hash_mod_l(signature[:32] + public, chunks)
    return _equal(_multiply(s, _BASE), _add(point_r, _multiply(k, point_a)))


def file_chunks(path: str, size: int = 1 << 20) -> Chunks:
    """Read a file in 1 MiB chunks, afresh each time."""

    def read() -> Iterable[bytes]:
        with open(path, "rb") as handle:
            while chunk := handle.read(size):
                yield chunk

    return read
