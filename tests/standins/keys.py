"""RSA signing keys for the stand-ins: a GitHub App's key and the OIDC issuers' keys.

RS256 is what GitHub requires for app JWTs and what both GitLab's and GitHub
Actions' OIDC issuers sign ID tokens with. Keys are made once per test session
(about 50 ms each) and published as RFC 7517 JWKs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass(frozen=True)
class RsaKey:
    """An RSA key pair with a key id."""

    private_key: rsa.RSAPrivateKey
    kid: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def generate(cls) -> RsaKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def private_pem(self) -> str:
        """PKCS#1 PEM, the format of the .pem file GitHub hands out for an app."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            .decode()
        )

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK: kty, n, e, plus kid, use and alg."""
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        # PyJWT adds key_ops; the JWKS documents of GitLab and GitHub do not.
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": jwk["n"],
            "e": jwk["e"],
        }
