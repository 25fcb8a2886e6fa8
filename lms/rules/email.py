"""What an e-mail address is: the one strict rule for every form, the CLI, bulk imports and the account service.

ASCII only (a full-width "＠" or domain would be a different, undeliverable address to everyone else; callers that
accept typed Japanese text apply NFKC first), an RFC 5322 dot-atom local part (no quotes, comments, angle brackets,
commas, semicolons or colons, which mail libraries read as address syntax: Python's parser turns ``a<b@x.io`` into
``b@x.io``), a domain of two or more DNS labels, at most 254 characters with a local part of at most 64.
"""

from __future__ import annotations

import re

MAX_LENGTH = 254
MAX_LOCAL_LENGTH = 64
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS = re.compile(rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>{_LABEL}(?:\.{_LABEL})+)")


def is_address(text: str | None) -> bool:
    """True when ``text`` (already trimmed) is an address this app accepts."""
    if not text or len(text) > MAX_LENGTH:
        return False
    found = ADDRESS.fullmatch(text)
    return (found is not None and len(found.group("local")) <= MAX_LOCAL_LENGTH
            and not found.group("domain").rsplit(".", 1)[1].isdigit())  # "a@1.2.3.4" is not a domain name
