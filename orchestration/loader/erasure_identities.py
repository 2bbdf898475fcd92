"""How an erased person's identities are kept: hashed again with the salt and the kind of id, so the log of
erasures holds nothing that names anyone, and a later delivery of their events is still recognised."""

import hashlib

# kind -> the SQL expression of a judged line (event_files) that holds it
ERASED_IDENTITY_COLUMNS = {
    "user_id": "user_id",
    "anonymous_id": "anonymous_id",
    "email": "(properties ->> 'email_sha256')",
}


def identity_sha256(salt: str, kind: str, value: str) -> str:
    """sha256(salt || kind || ':' || value), as the loader computes it in SQL."""
    return hashlib.sha256(f"{salt}{kind}:{value}".encode()).hexdigest()
