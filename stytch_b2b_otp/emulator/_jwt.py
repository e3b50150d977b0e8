"""The emulator's signing key: RS256 session JWTs and the JWKS that verifies them."""

from __future__ import annotations

import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["SigningKey"]


class SigningKey:
    """One RSA key per emulator, generated on first use.

    Tests that never ask for a session do not pay the ~50 ms that generating it takes.
    """

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self._key: rsa.RSAPrivateKey | None = None
        self._lock = threading.Lock()

    def _private(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._key

    def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` as a compact RS256 JWT whose header names this key."""
        return jwt.encode(claims, self._private(), algorithm="RS256", headers={"kid": self.kid})

    def verify(self, token: str, *, audience: str, issuer: str) -> dict[str, Any] | None:
        """The claims of a JWT this key signed, expired or not; ``None`` if it did not.

        Expiry is not checked: like Stytch, the emulator accepts an expired JWT as a
        handle on its session and then checks that the session is still alive.
        """
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._private().public_key(),
                algorithms=["RS256"],
                audience=audience,
                issuer=issuer,
                options={"verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        return claims

    def jwk(self) -> dict[str, Any]:
        """The public key in the shape of Stytch's JWKS entries."""
        public = RSAAlgorithm.to_jwk(self._private().public_key(), as_dict=True)
        return {
            "alg": "RS256",
            "e": public["e"],
            "key_ops": ["verify"],
            "kid": self.kid,
            "kty": "RSA",
            "n": public["n"],
            "use": "sig",
            "x5c": [],
            "x5tS256": "",
        }
