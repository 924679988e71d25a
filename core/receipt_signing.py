"""Signed receipts: canonical JSON signed with a court's Ed25519 key, checked offline.

A signed document is a JSON object whose `signature` is the Ed25519 signature (base64) of
the canonical JSON of every other member: keys sorted, no whitespace, UTF-8, non-ASCII
characters as themselves (docs/bid-receipts.md). The document is handed out exactly in that
canonical form, so any changed byte makes it invalid: a changed value no longer matches the
signature, and a byte changed anywhere else leaves a text that is not canonical.

Each court may have its own key (RECEIPT_SIGNING_KEYS, "CODE=base64 key" pairs); a court
without one signs with the platform's key (AUDIT_SIGNING_KEY, core/audit_chain.py). The
public keys are published at /.well-known/mazad-receipt-keys.json; a key id is derived from
the public key, so it never names two keys. Nothing here reads the database: the command
verify_bid_receipt checks a receipt with nothing but the published keys file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core import audit_chain

ALGORITHM = "Ed25519"
# The largest document the verification page and the command read (a receipt is ~1 KiB).
MAX_BYTES = 16 * 1024
PLATFORM = "platform"


def canonical(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (non-ASCII characters not escaped)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_raw: bytes) -> str:
    """ "ed25519:" and the first 16 hex digits of the SHA-256 of the raw public key."""
    return "ed25519:" + hashlib.sha256(public_raw).hexdigest()[:16]


def _court_keys() -> dict[str, str]:
    configured: Mapping[str, str] = getattr(settings, "RECEIPT_SIGNING_KEYS", {}) or {}
    return {code.strip().upper(): text.strip() for code, text in configured.items() if text}


def signing_key(court_code: str | None) -> tuple[Ed25519PrivateKey, str]:
    """The key a court signs with (its own, else the platform's) and the key id."""
    text = _court_keys().get((court_code or "").upper())
    key = (
        Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))
        if text
        else audit_chain.signing_key()
    )
    return key, key_id(_public_raw(key))


def published_keys() -> list[dict[str, Any]]:
    """Every public key a receipt may be signed with: the platform's and each court's own."""
    entries = []
    platform = audit_chain.signing_key()
    entries.append(_entry(platform, PLATFORM))
    for code, text in sorted(_court_keys().items()):
        entries.append(_entry(Ed25519PrivateKey.from_private_bytes(base64.b64decode(text)), code))
    return entries


def _entry(key: Ed25519PrivateKey, court: str) -> dict[str, Any]:
    raw = _public_raw(key)
    return {
        "key_id": key_id(raw),
        "court": court,
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(raw).decode(),
    }


def keys_document() -> dict[str, Any]:
    return {"format": "mazad-receipt-keys/1", "keys": published_keys()}


def sign(body: Mapping[str, Any], court_code: str | None) -> dict[str, Any]:
    """The body with `algorithm`, `key_id` and `signature` added (Ed25519 is deterministic:
    the same body signed with the same key gives the same document)."""
    key, kid = signing_key(court_code)
    unsigned = {**body, "algorithm": ALGORITHM, "key_id": kid}
    signature = base64.b64encode(key.sign(canonical(unsigned))).decode()
    return {**unsigned, "signature": signature}


def serialize(document: Mapping[str, Any]) -> bytes:
    """The bytes handed out: the canonical JSON of the whole signed document."""
    return canonical(document)


# --- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    valid: bool
    code: str
    message: str | Promise
    document: dict[str, Any] | None = None
    key: dict[str, Any] | None = None


MESSAGES: dict[str, Promise] = {
    "receipt_valid": _("The receipt is exactly as the court signed it."),
    "receipt_too_large": _("The receipt is larger than %(limit)s bytes; it is not one of ours."),
    "receipt_not_json": _("This is not JSON: paste or upload the receipt's .json file as it is."),
    "receipt_malformed": _("The receipt is malformed: %(detail)s"),
    "receipt_not_canonical": _(
        "The receipt's bytes were changed: it is not in the exact form the court issued "
        "(keys sorted, no spaces or line breaks)."
    ),
    "receipt_unknown_key": _("Unknown key %(key_id)s: no published key has this id."),
    "receipt_bad_signature": _(
        "Bad signature: the receipt was changed after it was signed, or was not signed by "
        "the key it names."
    ),
}


def _verdict(code: str, document: Any = None, key: Any = None, **params: Any) -> Verdict:
    message = MESSAGES[code]
    text: str | Promise = message % params if params else message
    return Verdict(code == "receipt_valid", code, text, document, key)


def _malformed(detail: str | Promise) -> Verdict:
    return _verdict("receipt_malformed", detail=detail)


# The members every signed receipt carries, with their JSON types.
REQUIRED: dict[str, type] = {
    "format": str,
    "algorithm": str,
    "key_id": str,
    "signature": str,
    "receipt": dict,
}


def verify(raw: bytes | str, keys: Iterable[Mapping[str, Any]]) -> Verdict:
    """Whether `raw` is a signed document, byte for byte as issued, under one of `keys`
    (entries as published: key_id, algorithm, public_key). Never raises on bad input."""
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_BYTES:
        return _verdict("receipt_too_large", limit=MAX_BYTES)
    # A trailing line break (an editor's, a terminal's) and surrounding blanks are not part of it.
    data = data.strip()
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _verdict("receipt_not_json")
    if not isinstance(document, dict):
        return _malformed(_("it must be a JSON object."))
    for name, kind in REQUIRED.items():
        if name not in document:
            return _malformed(_("the field “%(field)s” is missing.") % {"field": name})
        if not isinstance(document[name], kind):
            return _malformed(_("the field “%(field)s” has the wrong type.") % {"field": name})
    if document["algorithm"] != ALGORITHM:
        return _malformed(_("the algorithm must be Ed25519."))
    try:
        signature = base64.b64decode(document["signature"], validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        return _malformed(_("the signature is not 64 bytes of base64."))
    if canonical(document) != data:
        return _verdict("receipt_not_canonical", document)
    key = next(
        (
            k
            for k in keys
            if k.get("key_id") == document["key_id"] and k.get("algorithm") == ALGORITHM
        ),
        None,
    )
    if key is None:
        return _verdict("receipt_unknown_key", document, key_id=document["key_id"][:80])
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(key["public_key"])))
        unsigned = {name: value for name, value in document.items() if name != "signature"}
        public.verify(signature, canonical(unsigned))
    except (InvalidSignature, ValueError, binascii.Error):
        return _verdict("receipt_bad_signature", document, dict(key))
    return _verdict("receipt_valid", document, dict(key))


def keys_from_file(raw: bytes) -> list[dict[str, Any]]:
    """The keys of a published keys file (the /.well-known document, or its bare list)."""
    parsed = json.loads(raw.decode("utf-8"))
    entries = parsed.get("keys") if isinstance(parsed, dict) else parsed
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError("a keys file holds a list of keys (or an object with one under 'keys')")
    return entries
