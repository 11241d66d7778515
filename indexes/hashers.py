"""Password hashes from devpi-server that Django has no hasher for.

devpi-server before 4.2 (2016) stored ``pwsalt`` and ``pwhash`` =
sha256(salt + password) in hex; later versions re-hashed them with argon2 at
the user's next login, so old exports may still hold some. Imported users
keep logging in with them: the hasher below only verifies, and Django
re-hashes the password with the preferred hasher at the first successful
login (its ``must_update`` always answers yes).

argon2 hashes (devpi-server 4.2 and later, through passlib) need no code of
ours: they are Django's ``Argon2PasswordHasher`` format minus its
``argon2`` prefix (see ``indexes.importexport.passwords``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare


class DevpiSaltedSHA256PasswordHasher(BasePasswordHasher):
    """``devpi_sha256$<salt>$<hex sha256(salt + password)>``; the salt is
    devpi's base64 text, which never contains ``$``."""

    algorithm = "devpi_sha256"

    def salt(self) -> str:
        return base64.b64encode(secrets.token_bytes(16)).decode("ascii")

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        if "$" in salt:
            raise ValueError("salt must not contain '$'")
        digest = hashlib.sha256(salt.encode("ascii") + password.encode("utf-8")).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        if algorithm != self.algorithm:
            raise ValueError(f"not a {self.algorithm} hash")
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def verify(self, password: str, encoded: str) -> bool:
        try:
            decoded = self.decode(encoded)
        except ValueError:
            return False
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {"algorithm": decoded["algorithm"], "salt": mask_hash(decoded["salt"]),
                "hash": mask_hash(decoded["hash"])}

    def must_update(self, encoded: str) -> bool:
        return True  # a weak scheme: replace it at the first successful login

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
