"""Generated ids that embed no member's id.

A group's or a guarantee circle's id appears in URLs, exports and events. Built
from a member's company id (``GRP-C0000123``) it would name that company to anyone
who sees the id, including callers who may not see the company. An opaque id is a
keyed hash (HMAC-SHA256) of what identifies the unit, with the store's secret
instance id as the key: stable across identical computes (URLs keep working), and
not reversible by hashing guessed company ids without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

#: Hex digits kept: 64 bits, ample against collisions among a bank's groups and circles.
OPAQUE_DIGITS: Final = 16


def opaque_id(prefix: str, salt: str, key: str) -> str:
    """``PREFIX-`` + 16 hex digits of HMAC-SHA256(salt, key).

    Examples
    --------
    >>> a = opaque_id("GRP", "secret", "C0000123")
    >>> a == opaque_id("GRP", "secret", "C0000123"), a.startswith("GRP-"), "C0000123" in a
    (True, True, False)
    >>> a == opaque_id("GRP", "other", "C0000123")
    False
    """
    digest = hmac.new(salt.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:OPAQUE_DIGITS]}"
