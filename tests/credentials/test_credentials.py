"""Signed Open Badges 3.0 credentials: shape, signature, verification verdicts, the key file, download."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lms import create_app
from lms.extensions import db
from lms.models import Certificate, Role, utcnow
from lms.services import credentials as service

VERIFY = "/api/v1/credentials/verify"
ISSUER_INFO = {
    "issuer": {"ja": "神奈川県立産業技術総合研究所", "en": "Kanagawa Institute of Industrial Science and Technology"},
    "issuer_url": "https://www.kistec.jp/",
    "signer": {"ja": "研修事務局", "en": "Training Office"},
    "signer_title": {"ja": "局長", "en": "Director"},
    "description": {"ja": "規制科学を学んだことを証します。", "en": "Certifies study of regulatory science."},
    "criteria": {"ja": "全ての小テストに合格すること。", "en": "Pass every quiz."},
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode(token: str) -> tuple[dict, dict]:
    header, payload, _signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload))


def encode(part: dict) -> str:
    return b64(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())


@pytest.fixture
def course(make_course):
    course = make_course(slug="regulatory-science", program="regulatory")
    course.certificate_info = ISSUER_INFO
    db.session.commit()
    return course


@pytest.fixture
def holder(make_user):
    return make_user(name_latin="Hanako Sato", name_ja="佐藤花子")


@pytest.fixture
def make_certificate(course):
    def make(user, **fields):
        certificate = Certificate(
            public_id=secrets.token_urlsafe(18), user_id=user.id, course_id=course.id,
            holder_name_ja=user.name_ja, holder_name_latin=user.name_latin, course_slug=course.slug,
            course_title_ja=course.title_ja, course_title_en=course.title_en, program=course.program,
            issuer=ISSUER_INFO, completion={"lessons": 4, "quizzes": [], "assignments": []},
            issued_at=fields.pop("issued_at", utcnow() - timedelta(days=1)), **fields)
        db.session.add(certificate)
        db.session.commit()
        return certificate

    return make


@pytest.fixture
def issue(app):
    """The credential JWT for a certificate, as the download would give it (same host as the test client)."""
    def do(certificate) -> str:
        with app.test_request_context():
            return service.issue_jwt(certificate)

    return do


def verify(client, token, **kwargs):
    kwargs.setdefault("content_type", "text/plain")
    return client.post(VERIFY, data=token, **kwargs)


def published_key(client) -> tuple[Ed25519PublicKey, dict]:
    jwk = client.get("/.well-known/jwks.json").get_json()["keys"][0]
    return Ed25519PublicKey.from_public_bytes(unb64(jwk["x"])), jwk


# --- the credential

def test_credential_shape(app, course, holder, make_certificate):
    expires = datetime(2030, 4, 1, 9, 30, tzinfo=timezone.utc)
    certificate = make_certificate(holder, issued_at=datetime(2026, 3, 31, 1, 2, 3, 456, tzinfo=timezone.utc),
                                   expires_at=expires)
    with app.test_request_context():
        credential = service.build_credential(certificate)

    assert credential["@context"][:2] == ["https://www.w3.org/ns/credentials/v2",
                                          "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert set(credential["type"]) == {"VerifiableCredential", "OpenBadgeCredential"}
    assert credential["id"].startswith("http://localhost/") and credential["id"].endswith(
        f"/verify/{certificate.public_id}")
    assert credential["validFrom"] == "2026-03-31T01:02:03Z"
    assert credential["validUntil"] == "2030-04-01T09:30:00Z"

    issuer = credential["issuer"]
    assert issuer["id"] == "http://localhost/api/v1/issuers/regulatory-science"
    assert issuer["type"] == ["Profile"] and issuer["name"] == ISSUER_INFO["issuer"]["en"]
    assert issuer["url"] == "https://www.kistec.jp/" and issuer["official"] == "Training Office, Director"

    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"] and subject["id"].startswith("urn:uuid:")
    assert subject["identifier"] == [
        {"type": "IdentityObject", "identityHash": "Hanako Sato", "identityType": "name", "hashed": False},
        {"type": "IdentityObject", "identityHash": "佐藤花子", "identityType": "name", "hashed": False},
    ]
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["id"].startswith("http://localhost/courses/regulatory-science/#")
    assert achievement["name"] == course.title_en and achievement["inLanguage"] == "en"
    assert achievement["description"] == "Certifies study of regulatory science."
    assert achievement["criteria"]["narrative"] == "Pass every quiz."
    # The Japanese edition, through Achievement.related (alternate language editions).
    [japanese] = achievement["related"]
    assert "Related" in japanese["type"] and japanese["inLanguage"] == "ja" and japanese["id"] != achievement["id"]
    assert japanese["name"] == course.title_ja and japanese["description"] == "規制科学を学んだことを証します。"
    assert japanese["criteria"]["narrative"] == "全ての小テストに合格すること。"

    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(certificate.id)
    assert status["statusListCredential"] == "http://localhost/api/v1/issuers/regulatory-science/revocations"
    assert credential["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"


def test_no_valid_until_without_expiry(app, holder, make_certificate, issue):
    certificate = make_certificate(holder)
    with app.test_request_context():
        assert "validUntil" not in service.build_credential(certificate)
    assert "exp" not in decode(issue(certificate))[1]


def test_jwt_claims_mirror_the_credential(holder, make_certificate, issue):
    certificate = make_certificate(holder, expires_at=utcnow() + timedelta(days=30))
    header, payload = decode(issue(certificate))
    assert header["alg"] == "EdDSA" and header["typ"] == "JWT"
    assert set(header) == {"alg", "typ", "kid"}  # OB 3.0: no other JOSE headers
    assert payload["iss"] == payload["issuer"]["id"] and payload["jti"] == payload["id"]
    assert payload["sub"] == payload["credentialSubject"]["id"]
    assert payload["nbf"] == int(certificate.issued_at.timestamp())
    assert payload["exp"] == int(certificate.expires_at.timestamp())
    assert datetime.fromtimestamp(payload["nbf"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") == payload["validFrom"]


def test_signature_verifies_with_the_published_key(client, holder, make_certificate, issue):
    token = issue(make_certificate(holder))
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200 and "max-age=3600" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    key, jwk = published_key(client)
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig") and "d" not in jwk
    thumbprint = b64(hashlib.sha256(
        f'{{"crv":"Ed25519","kty":"OKP","x":"{jwk["x"]}"}}'.encode()).digest())  # RFC 7638
    assert jwk["kid"] == thumbprint

    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(unb64(header_b64))
    assert header["kid"] == f"http://localhost/.well-known/jwks.json#{thumbprint}"
    key.verify(unb64(signature_b64), f"{header_b64}.{payload_b64}".encode())  # raises if wrong


# --- verification

def test_verify_says_valid_without_login_or_csrf_token(client, holder, make_certificate, issue):
    certificate = make_certificate(holder)
    token = issue(certificate)
    # CSRF protection is on in these tests: an ordinary form post without a token is refused ...
    assert client.post("/auth/login", data={"email": "x@example.org", "password": "x"}).status_code == 400
    # ... while the verification API takes a bare POST, as text or as JSON.
    for response in (verify(client, token), verify(client, f"\n{token}\n", content_type="application/jwt"),
                     client.post(VERIFY, json={"credential": token})):
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["status"] == "valid"
        assert body["certificate"]["public_id"] == certificate.public_id
        assert body["certificate"]["holder_name_latin"] == "Hanako Sato"
        assert body["certificate"]["holder_name_ja"] == "佐藤花子"
        assert body["certificate"]["course_title_en"] == certificate.course_title_en
        assert body["certificate"]["verify_url"].endswith(f"/verify/{certificate.public_id}")
        assert body["certificate"]["revoked_at"] is None


def test_changed_payload_is_tampered(client, holder, make_certificate, issue):
    header_b64, payload_b64, signature_b64 = issue(make_certificate(holder)).split(".")
    payload = json.loads(unb64(payload_b64))
    payload["credentialSubject"]["identifier"][0]["identityHash"] = "Hanako Sata"  # one character
    response = verify(client, f"{header_b64}.{encode(payload)}.{signature_b64}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "tampered" and body["certificate"] is None and body["reason"]


@pytest.mark.parametrize("position", [10, -1])  # a middle character, and the last (which carries padding bits)
def test_changed_signature_is_tampered(client, holder, make_certificate, issue, position):
    token = issue(make_certificate(holder))
    index = len(token) + position if position < 0 else token.rindex(".") + 1 + position
    changed = token[:index] + ("B" if token[index] == "A" else "A") + token[index + 1:]
    assert changed != token
    assert verify(client, changed).get_json()["status"] == "tampered"


def test_other_algorithms_and_keys_are_tampered(client, holder, make_certificate, issue):
    header_b64, payload_b64, _signature = issue(make_certificate(holder)).split(".")
    header = json.loads(unb64(header_b64))
    unsigned = f'{encode({"alg": "none", "typ": "JWT"})}.{payload_b64}.'
    # HS256 "signed" with our public key as the secret: the classic algorithm confusion.
    _key, jwk = published_key(client)
    hs_input = f'{encode({**header, "alg": "HS256"})}.{payload_b64}'
    hs256 = hs_input + "." + b64(hmac.new(jwk["x"].encode(), hs_input.encode(), hashlib.sha256).digest())
    # Signed with another Ed25519 key that claims to be ours.
    foreign_input = f"{header_b64}.{payload_b64}"
    foreign = foreign_input + "." + b64(Ed25519PrivateKey.generate().sign(foreign_input.encode()))
    other_kid_input = f'{encode({**header, "kid": "https://evil.example/jwks.json#k"})}.{payload_b64}'
    other_kid = other_kid_input + "." + b64(Ed25519PrivateKey.generate().sign(other_kid_input.encode()))
    for token in (unsigned, hs256, foreign, other_kid):
        response = verify(client, token)
        assert response.status_code == 200 and response.get_json()["status"] == "tampered", token


@pytest.mark.parametrize("body", ["", "garbage", "a.b", "a.b.c.d", "not base64!.e30.e30", "e30.e30.e30",
                                  "bm90IGpzb24.e30.e30", b64(b"[" * 20000) + ".e30.e30"])
def test_garbage_is_invalid(client, body):
    response = verify(client, body)
    assert response.status_code == 400
    assert response.get_json()["status"] == "invalid" and response.get_json()["certificate"] is None


@pytest.mark.parametrize("body", ['{"credential": 5}', "[1]", "{not json", '{"other": "x"}'])
def test_json_without_a_credential_is_invalid(client, body):
    response = client.post(VERIFY, data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["status"] == "invalid"


def test_revocation_after_download_shows(client, holder, make_certificate, issue):
    certificate = make_certificate(holder)
    token = issue(certificate)
    assert verify(client, token).get_json()["status"] == "valid"
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = "Issued in error"
    db.session.commit()
    body = verify(client, token).get_json()
    assert body["status"] == "revoked"
    assert body["certificate"]["revoked_reason"] == "Issued in error" and body["certificate"]["revoked_at"]


def test_expired_by_its_date(client, holder, make_certificate, issue):
    already = make_certificate(holder, issued_at=utcnow() - timedelta(days=400),
                               expires_at=utcnow() - timedelta(days=35))
    assert verify(client, issue(already)).get_json()["status"] == "expired"


def test_expiry_set_after_download_shows(client, make_user, make_certificate, issue):
    certificate = make_certificate(make_user())
    token = issue(certificate)
    certificate.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert verify(client, token).get_json()["status"] == "expired"


def test_expired_by_the_jwt_even_if_the_row_was_extended(client, make_user, make_certificate, issue):
    certificate = make_certificate(make_user(), expires_at=utcnow() - timedelta(days=1))
    token = issue(certificate)
    certificate.expires_at = utcnow() + timedelta(days=365)
    db.session.commit()
    assert verify(client, token).get_json()["status"] == "expired"


def test_signed_by_us_but_no_such_certificate_is_unknown(client, holder, make_certificate, issue):
    certificate = make_certificate(holder)
    token = issue(certificate)
    db.session.delete(certificate)
    db.session.commit()
    body = verify(client, token).get_json()
    assert body["status"] == "unknown" and body["certificate"] is None


def test_oversized_body_is_refused(client):
    response = verify(client, "a" * (64 * 1024 + 1))
    assert response.status_code == 413 and response.is_json


def test_rate_limit_answers_in_json(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "2 per minute"
    assert [verify(client, "x").status_code for _ in range(2)] == [400, 400]
    response = verify(client, "x")
    assert response.status_code == 429 and response.is_json


# --- issuer profile and status list

def test_issuer_profile(client, course):
    response = client.get("/api/v1/issuers/regulatory-science")
    assert response.status_code == 200
    profile = response.get_json()
    assert profile["id"] == "http://localhost/api/v1/issuers/regulatory-science"
    assert profile["type"] == ["Profile"] and profile["name"] == ISSUER_INFO["issuer"]["en"]
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in profile["@context"]
    for missing in ("/api/v1/issuers/no-such-course", "/api/v1/issuers/no-such-course/revocations"):
        response = client.get(missing)
        assert response.status_code == 404 and response.is_json


def test_issuer_without_certificate_table_is_404(client, make_course):
    make_course(slug="no-certificate")
    assert client.get("/api/v1/issuers/no-certificate").status_code == 404


def test_revocation_list_has_the_revoked_bit(client, holder, make_user, make_certificate):
    revoked = make_certificate(holder, revoked_at=utcnow(), revoked_reason="test")
    kept = make_certificate(make_user())
    response = client.get("/api/v1/issuers/regulatory-science/revocations")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    header_b64, payload_b64, signature_b64 = token.split(".")
    key, _jwk = published_key(client)
    key.verify(unb64(signature_b64), f"{header_b64}.{payload_b64}".encode())
    listing = json.loads(unb64(payload_b64))
    assert "BitstringStatusListCredential" in listing["type"]
    assert listing["issuer"] == "http://localhost/api/v1/issuers/regulatory-science"
    subject = listing["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert subject["encodedList"].startswith("u")
    bits = gzip.decompress(unb64(subject["encodedList"][1:]))
    assert len(bits) >= 16 * 1024

    def bit(index):
        return bits[index // 8] >> (7 - index % 8) & 1

    assert bit(revoked.id) == 1 and bit(kept.id) == 0


# --- the key

def test_key_file_is_created_once_and_shared(app, make_user, make_certificate, issue):
    path = Path(app.instance_path) / "signing_key.pem"
    assert not path.exists()
    token = issue(make_certificate(make_user()))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    kid = service.jwks()["keys"][0]["kid"]

    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "INSTANCE_PATH": app.instance_path,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    with other.app_context():
        assert service.jwks()["keys"][0]["kid"] == kid
        db.engine.dispose()
    assert path.read_bytes() == first
    assert service.verify_jwt(token).status == "valid"


def test_workers_starting_together_end_with_one_key(app, tmp_path):
    app.config["SIGNING_KEY_FILE"] = str(tmp_path / "keys" / "ob.pem")
    start = threading.Barrier(8)

    def worker(_):
        with app.app_context():
            start.wait()
            return service.jwks()["keys"][0]["kid"]

    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(worker, range(8)))
    assert len(kids) == 1
    assert os.listdir(tmp_path / "keys") == ["ob.pem"]  # no temporary file left behind


# --- download

def test_download(make_client, make_user, holder, make_certificate):
    certificate = make_certificate(holder)
    url = f"/certificates/{certificate.public_id}/credential.jwt"

    anonymous = make_client()
    assert anonymous.get(url).headers["Location"].startswith("/auth/login")

    own = make_client()
    own.login(holder)
    response = own.get(url)
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="regulatory-science-{certificate.public_id}.jwt"')
    assert "no-store" in response.headers["Cache-Control"]
    assert verify(own, response.get_data(as_text=True)).get_json()["status"] == "valid"
    assert own.get("/certificates/no-such-id/credential.jwt").status_code == 404

    stranger = make_client()
    stranger.login(make_user())
    assert stranger.get(url).status_code == 404

    admin = make_client()
    admin.login(make_user(Role.ADMIN))
    assert admin.get(url).status_code == 200

    certificate.revoked_at = utcnow()
    db.session.commit()
    assert own.get(url).status_code == 404
