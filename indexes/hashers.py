"""Password hashes that devpi-server and devpi-django both verify.

``DevpiArgon2PasswordHasher`` comes first in ``PASSWORD_HASHERS``: new
passwords get argon2id with the parameters devpi-server 6 uses (passlib on
argon2-cffi's defaults: t=3, m=64 MiB, p=4, 32-byte hash), so an exported
hash keeps working when it goes back to a devpi-server, and hashes imported
from devpi-server are not re-hashed at the first login here.

devpi-server's oldest exports hold a scheme Django has no hasher for:

devpi-server before 4.2 (2016) stored ``pwsalt`` and ``pwhash`` =
sha256(salt + password) in hex; later versions re-hashed them with argon2 at
the user's next login, so old exports may still hold some. Imported users
keep logging in with them: the hasher below only verifies, and Django
re-hashes the password with the preferred hasher at the first successful
login (its ``must_update`` always answers yes).

argon2 hashes (devpi-server 4.2 and later, through passlib) are Django's
``Argon2PasswordHasher`` format minus its ``argon2`` prefix (see
``importexport.mapping``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare


class DevpiArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's argon2 hasher (``argon2$argon2id$...``, the same algorithm
    name, so it replaces Django's in the list) with devpi-server's
    parameters. Its PHC string minus the ``argon2`` prefix is devpi's
    ``pwhash``."""

    time_cost = 3
    memory_cost = 65536
    parallelism = 4
    MIN_SALT_BYTES = 16  # devpi's salts: 16 random bytes, 128 bits

    def must_update(self, encoded: str) -> bool:
        """Re-hash only for other parameters or a short salt. Django's own
        test reads a salt as characters of its alphabet and would re-hash
        every devpi salt (16 random bytes carry the 128 bits it asks for)."""
        decoded = self.decode(encoded)
        current = decoded["params"]
        wanted = self.params()
        wanted.salt_len = current.salt_len
        return current != wanted or current.salt_len < self.MIN_SALT_BYTES


class DevpiSaltedSHA256PasswordHasher(BasePasswordHasher):
    """``devpi_sha256$<salt>$<hex sha256(salt + password)>``; the salt is
    devpi's base64 text, which never contains ``$``."""

    algorithm = "devpi_sha256"

    def salt(self) -> str:
        return base64.b64encode(secrets.token_bytes(16)).decode("ascii")

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)  # type: ignore[attr-defined]  # not in the stubs
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
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        return True  # a weak scheme: replace it at the first successful login

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
