"""Open Badges 3.0 credentials: the signing key, the credential JSON, VC-JWT signing and verification.

A certificate is exported as an OpenBadgeCredential (1EdTech Open Badges 3.0 on the W3C VC Data Model 2.0)
signed in the VC-JWT proof format (OB 3.0 section 8.2): a compact JWS whose payload is the credential plus the
registered claims iss, jti, nbf, sub and exp. The key is Ed25519 (JOSE alg "EdDSA"); its public half is
published as a JWK set. Revocation is published as a W3C Bitstring Status List per issuer, and our own
verification endpoint reads the certificate's current row, so a revocation after download still shows.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Certificate, utcnow
from ..urls import external_url

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines the 1EdTechJsonSchemaValidator2019 term used by credentialSchema (as in the spec's complete example).
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
# Bitstring Status List: at least 16 KB of bits, so one list does not tell how many credentials exist.
MIN_STATUS_LIST_BITS = 16 * 1024 * 8
# header.payload.signature in base64url; the signature may be empty (alg "none"), which we then reject by alg.
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


# --- the key -------------------------------------------------------------------------------------------------

def key_path() -> Path:
    configured = current_app.config.get("SIGNING_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "signing_key.pem"


def signing_key() -> Ed25519PrivateKey:
    """The site's Ed25519 key, created on first use; every process reads the same file."""
    path = key_path()
    if not path.exists():
        _create_key(path)
    return _load_key(str(path), path.stat().st_mtime_ns)


def _create_key(path: Path) -> None:
    # As load_or_create_secret_key: written whole to a temporary file (mkstemp makes it 0600), then linked into
    # place. Workers starting together either find no file or a complete one, and only the first link wins.
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing_key.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


@lru_cache(maxsize=4)
def _load_key(path: str, mtime_ns: int) -> Ed25519PrivateKey:
    # Keyed by modification time too: a replaced key file is read again, in every process.
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} holds no Ed25519 private key; delete it to have a new one generated")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk() -> dict:
    x = _b64(signing_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    # RFC 7638 thumbprint: the required members in lexicographic order, no whitespace, SHA-256.
    thumbprint = _b64(hashlib.sha256(json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x},
                                                separators=(",", ":")).encode()).digest())
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint, "use": "sig", "alg": "EdDSA"}


def jwks() -> dict:
    return {"keys": [public_jwk()]}


# --- the credential ------------------------------------------------------------------------------------------

def _iso(moment: datetime) -> str:
    # Whole seconds, so validFrom/validUntil equal the NumericDate claims nbf/exp exactly (OB 3.0 8.2.4.1).
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify_url(public_id: str) -> str:
    return external_url("certificates.verify", public_id=public_id)


def issuer_profile(info: dict, course_slug: str) -> dict:
    """An OB 3.0 Profile from a [certificate] table ({"issuer", "issuer_url", "signer", "signer_title"})."""
    profile = {"id": external_url("credentials.issuer", course_slug=course_slug), "type": ["Profile"]}
    if (info.get("issuer") or {}).get("en"):
        profile["name"] = info["issuer"]["en"]
    if info.get("issuer_url"):
        profile["url"] = info["issuer_url"]
    signer = (info.get("signer") or {}).get("en")
    if signer:
        # Profile.official: "the name of an authorized official of the organization".
        title = (info.get("signer_title") or {}).get("en")
        profile["official"] = f"{signer}, {title}" if title else signer
    return profile


def _achievement(certificate: Certificate, lang: str) -> dict:
    info = certificate.issuer or {}
    title = getattr(certificate, f"course_title_{lang}")
    default_criteria = {"en": f"Completed the course “{title}” under its completion rules.",
                        "ja": f"「{title}」の修了要件を満たしたこと。"}
    course_url = external_url("catalog.course", slug=certificate.course_slug)
    return {
        "id": f"{course_url}#achievement-{lang}",
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": title,
        "description": (info.get("description") or {}).get(lang) or title,
        "criteria": {"id": course_url,
                     "narrative": (info.get("criteria") or {}).get(lang) or default_criteria[lang]},
        "inLanguage": lang,
    }


def _status_list_url(course_slug: str) -> str:
    return external_url("credentials.revocation_list", course_slug=course_slug)


def build_credential(certificate: Certificate) -> dict:
    """The OpenBadgeCredential for a certificate, from its snapshot (needs a request context for the URLs)."""
    credential_id = verify_url(certificate.public_id)
    # English in the plain fields. The Japanese edition is the achievement's "related" entry, which OB 3.0
    # (Achievement.related) intends "to identify alternate language editions"; it carries the Achievement
    # type too, so its name, description and criteria keep their Achievement meaning.
    achievement = _achievement(certificate, "en")
    japanese = _achievement(certificate, "ja")
    achievement["related"] = [{**japanese, "type": ["Related", "Achievement"]}]
    names = [certificate.holder_name_latin] + [n for n in [certificate.holder_name_ja]
                                               if n and n != certificate.holder_name_latin]
    status_list = _status_list_url(certificate.course_slug)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.course_title_en}: Certificate of Completion",
        "issuer": issuer_profile(certificate.issuer or {}, certificate.course_slug),
        "validFrom": _iso(certificate.issued_at),
        **({"validUntil": _iso(certificate.expires_at)} if certificate.expires_at is not None else {}),
        "awardedDate": _iso(certificate.issued_at),
        "credentialSubject": {
            # No learner DID or profile URL exists: an opaque id per credential fills the JWT "sub" claim,
            # and the holder is named by IdentityObjects of identityType "name", in plain text as printed.
            "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, credential_id)}",
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityHash": name, "identityType": "name",
                            "hashed": False} for name in names],
            "achievement": achievement,
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        # The certificate's row id is its index: unique for good, and fixed at issue time.
        "credentialStatus": {"id": f"{status_list}#{certificate.id}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(certificate.id),
                             "statusListCredential": status_list},
    }


# --- VC-JWT --------------------------------------------------------------------------------------------------

def _sign(payload: dict) -> str:
    jwk = public_jwk()
    # OB 3.0 8.2.3: "typ", if present, MUST be "JWT"; "kid" a URI that dereferences to the JWK.
    header = {"alg": "EdDSA", "typ": "JWT", "kid": external_url("credentials.jwks") + "#" + jwk["kid"]}
    signing_input = ".".join(_b64(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
                             for part in (header, payload))
    return signing_input + "." + _b64(signing_key().sign(signing_input.encode("ascii")))


def issue_jwt(certificate: Certificate) -> str:
    """The credential as a compact JWS: the credential's members plus the JWT claims that mirror them."""
    credential = build_credential(certificate)
    claims = {"iss": credential["issuer"]["id"], "jti": credential["id"],
              "nbf": int(certificate.issued_at.timestamp()), "sub": credential["credentialSubject"]["id"]}
    if certificate.expires_at is not None:
        claims["exp"] = int(certificate.expires_at.timestamp())
    return _sign({**credential, **claims})


def revocation_list_jwt(course_slug: str) -> str:
    """This issuer's BitstringStatusListCredential, signed: bit n is set when certificate n is revoked."""
    highest = db.session.scalar(select(func.max(Certificate.id)).where(Certificate.course_slug == course_slug)) or 0
    bits = bytearray(MIN_STATUS_LIST_BITS * (highest // MIN_STATUS_LIST_BITS + 1) // 8)
    for index in db.session.scalars(select(Certificate.id).where(Certificate.course_slug == course_slug,
                                                                 Certificate.revoked_at.is_not(None))):
        bits[index // 8] |= 0x80 >> (index % 8)  # index 0 is the left-most bit
    url = _status_list_url(course_slug)
    now = utcnow()
    credential = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": external_url("credentials.issuer", course_slug=course_slug),
        "validFrom": _iso(now),
        # Multibase "u": base64url without padding, of the GZIP-compressed bitstring.
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": "u" + _b64(gzip.compress(bytes(bits), mtime=0))},
    }
    return _sign({**credential, "iss": credential["issuer"], "jti": url, "nbf": int(now.timestamp())})


@dataclass
class Verdict:
    status: str  # "valid", "tampered", "revoked", "expired", "unknown" or "invalid"
    certificate: Certificate | None
    reason: str


def _json_part(text: str):
    try:
        value = json.loads(_unb64(text))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: deeply nested JSON
        return None
    return value if isinstance(value, dict) else None


def verify_jwt(token: str) -> Verdict:
    """Check a credential we issued: our key, an untouched signature, then the certificate's current state."""
    token = token.strip()
    if not COMPACT_JWS.fullmatch(token):
        return Verdict("invalid", None, "not a compact JWS (header.payload.signature)")
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = _json_part(header_b64)
    if header is None or not isinstance(header.get("alg"), str):
        return Verdict("invalid", None, "the JOSE header is not a JSON object with an algorithm")
    # Only the algorithm we sign with: "none", HMAC with our public key as secret and the like are refused.
    if header.get("alg") != "EdDSA":
        return Verdict("tampered", None, "the algorithm is not EdDSA")
    if not isinstance(header.get("kid"), str) or header["kid"].rpartition("#")[2] != public_jwk()["kid"]:
        return Verdict("tampered", None, "not signed with this site's key")
    try:
        signature = _unb64(signature_b64)
        # A signature is one exact string: extra bits in the last character must not pass as the same one.
        if _b64(signature) != signature_b64:
            raise InvalidSignature
        signing_key().public_key().verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
    except (binascii.Error, ValueError, InvalidSignature):
        return Verdict("tampered", None, "the signature does not match the content")
    payload = _json_part(payload_b64)
    if payload is None or not isinstance(payload.get("jti"), str) or payload["jti"] != payload.get("id"):
        return Verdict("tampered", None, "the claims do not match the credential")

    public_id = urlsplit(payload["jti"]).path.rstrip("/").rpartition("/")[2]
    certificate = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if certificate is None:
        return Verdict("unknown", None, "signed by this site, but no such certificate exists")
    # The certificate's row as it is now, so a revocation after download shows.
    now = utcnow()
    status = certificate.status(now)
    if status == "valid" and isinstance(payload.get("exp"), (int, float)) and payload["exp"] <= now.timestamp():
        status = "expired"
    reasons = {"valid": "the signature is valid and the certificate is in force",
               "revoked": "the certificate was revoked", "expired": "the certificate has expired"}
    return Verdict(status, certificate, reasons[status])


def certificate_summary(certificate: Certificate) -> dict:
    """What the verification answer tells about a certificate."""
    def when(moment):
        return _iso(moment) if moment is not None else None

    return {
        "public_id": certificate.public_id,
        "holder_name_ja": certificate.holder_name_ja,
        "holder_name_latin": certificate.holder_name_latin,
        "course_title_ja": certificate.course_title_ja,
        "course_title_en": certificate.course_title_en,
        "issued_at": when(certificate.issued_at),
        "expires_at": when(certificate.expires_at),
        "revoked_at": when(certificate.revoked_at),
        "revoked_reason": certificate.revoked_reason,
        "verify_url": verify_url(certificate.public_id),
    }
