"""Signed court documents: PAdES signatures with each court's key, and their validation.

`sign_pdf` signs a rendered PDF (a seizure order, seizure minutes, a settlement decision) with
the court's certificate: PAdES baseline B-B (ETSI EN 319 142-1), or B-T when a time-stamping
authority is configured (`COURT_SIGNING_TSA_URL`). `validate_signed_pdf` checks one against the
configured trust anchors and says who signed, for which court, when, and whether a byte changed.
Any standard PDF reader (Adobe Acrobat, pyHanko's `pyhanko sign validate`, the EU DSS
validator) reaches the same verdict given the same trust anchor (docs/signed-documents.md).

Keys (docs/signed-documents.md, "Key model"):

* `COURT_SIGNING_KEYS`: per court code, where its key and certificate chain are: a PKCS#12
  file (`.p12`/`.pfx`), a PEM file holding the private key and the chain, or `env:NAME` (a
  base64 PKCS#12 in the environment variable NAME, for secret stores that inject variables).
  A passphrase, if any, is in `COURT_SIGNING_PASSPHRASE_<CODE>`.
* `COURT_SIGNING_TRUST_ROOTS`: PEM files of the certificate authorities a court's certificate
  must chain to; a signature by any other key is reported as not trusted.
* `COURT_SIGNING_DEV_KEYS` (development and tests only; production refuses it): a court that
  is not configured gets a certificate from a self-signed development CA kept under
  `COURT_SIGNING_DEV_DIR`, made on first use.

A court is named in its certificate by the standard `organizationIdentifier` attribute
(2.5.4.97, as in EU electronic seals), which holds the court's code.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import fcntl
import io
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# The largest PDF the public page reads: a court document is a few hundred KiB.
MAX_BYTES = 5 * 1024 * 1024
# PDF keywords carrying what a signed document is: "mazad-kind:seizure-order".
KIND_KEYWORD = "mazad-kind:"
NUMBER_KEYWORD = "mazad-number:"
# Document kinds the verification page names; another kind is shown as its keyword.
KINDS: dict[str, Promise] = {
    "seizure-order": _("Seizure order"),
    "seizure-minutes": _("Seizure minutes"),
    "settlement-decision": _("Settlement decision"),
}
_COUNTRIES = {"SAR": "SA", "KWD": "KW", "BHD": "BH", "VND": "VN"}
T = TypeVar("T")
_DEV_CA_NAME = "Mazad development court CA (not for production)"


class CourtLike(Protocol):
    code: str
    name_en: str
    name_ar: str


class SigningNotConfigured(Exception):
    """The court has no signing key (production without an entry in COURT_SIGNING_KEYS)."""


# --- keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourtKey:
    """A court's private key, its certificate and the certificates between it and the root."""

    key: Any
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def _load_key_material(data: bytes, passphrase: bytes | None, where: str) -> CourtKey:
    """A PKCS#12 bundle, else PEM with a private key and certificates (leaf first)."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        key, cert, extra = None, None, []
    if key is None or cert is None:
        try:
            key = serialization.load_pem_private_key(data, passphrase)
            certs = x509.load_pem_x509_certificates(data)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"{where}: not a PKCS#12 bundle nor PEM with a private key and its certificate"
            ) from error
        cert, extra = certs[0], certs[1:]
    public = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    own = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if public != own:
        raise ValueError(f"{where}: the certificate is not the private key's")
    return CourtKey(key, cert, tuple(extra or ()))


def load_configured_key(code: str, spec: str) -> CourtKey:
    """The key named by a COURT_SIGNING_KEYS entry (a file path or `env:NAME`)."""
    code = code.strip().upper()
    spec = spec.strip()
    if spec.startswith("env:"):
        name = spec[4:]
        try:
            data = base64.b64decode(os.environ.get(name, ""), validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError(f"COURT_SIGNING_KEYS[{code}]: {name} is not base64") from error
        if not data:
            raise ValueError(f"COURT_SIGNING_KEYS[{code}]: the variable {name} is empty")
    else:
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"COURT_SIGNING_KEYS[{code}]: no file at {spec}")
        data = path.read_bytes()
    passphrase = os.environ.get(f"COURT_SIGNING_PASSPHRASE_{code}")
    return _load_key_material(
        data, passphrase.encode() if passphrase else None, f"COURT_SIGNING_KEYS[{code}]"
    )


def _configured() -> dict[str, str]:
    entries: dict[str, str] = getattr(settings, "COURT_SIGNING_KEYS", {}) or {}
    return {code.strip().upper(): spec for code, spec in entries.items() if spec}


def _dev_enabled() -> bool:
    return bool(getattr(settings, "COURT_SIGNING_DEV_KEYS", False))


def _dev_dir() -> Path:
    return Path(getattr(settings, "COURT_SIGNING_DEV_DIR", settings.BASE_DIR / "var" / "signing"))


@contextmanager
def _dev_lock() -> Iterator[None]:
    directory = _dev_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    temporary.chmod(0o600)
    os.replace(temporary, path)


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _pem(key: Any, *certs: x509.Certificate) -> bytes:
    text: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return text + b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def make_authority(name: str, *, days: int = 3650) -> CourtKey:
    """A self-signed certificate authority (the development CA; a pilot's or a test's own)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name((NameOID.COMMON_NAME, name[:64]), (NameOID.ORGANIZATION_NAME, "Mazad"))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CourtKey(key, cert, ())


def pem_bundle(material: CourtKey) -> bytes:
    """The private key (unencrypted PKCS#8) and the certificates, leaf first, as PEM."""
    return _pem(material.key, material.certificate, *material.chain)


def _dev_ca() -> CourtKey:
    path = _dev_dir() / "court-ca.pem"
    if path.is_file():
        return _load_key_material(path.read_bytes(), None, str(path))
    made = make_authority(_DEV_CA_NAME)
    _write_private(path, pem_bundle(made))
    return made


def court_certificate(
    ca: CourtKey,
    *,
    code: str,
    name_en: str,
    name_ar: str = "",
    country: str = "SA",
    days: int = 1825,
    key: Any = None,
) -> CourtKey:
    """A court's signing certificate issued by `ca` (the development CA, or a test's own)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    attributes = [
        (NameOID.COMMON_NAME, f"{name_en} ({code})"[:64]),
        (NameOID.ORGANIZATION_NAME, name_en[:64]),
        (NameOID.ORGANIZATION_IDENTIFIER, code),
        (NameOID.COUNTRY_NAME, country),
    ]
    if name_ar:
        attributes.insert(2, (NameOID.ORGANIZATIONAL_UNIT_NAME, name_ar[:64]))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(*attributes))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.2.840.113583.1.1.5")]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca.certificate.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return CourtKey(key, cert, (ca.certificate, *ca.chain))


def _dev_court_key(court: CourtLike) -> CourtKey:
    code = court.code.upper()
    path = _dev_dir() / f"court-{code}.pem"
    with _dev_lock():
        ca = _dev_ca()
        if path.is_file():
            loaded = _load_key_material(path.read_bytes(), None, str(path))
            names = loaded.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
            named = bool(names) and names[0].value == court.name_en[:64]
            if named and loaded.chain and loaded.chain[0] == ca.certificate:
                return loaded
        country = _COUNTRIES.get(str(getattr(court, "currency", "")), "SA")
        made = court_certificate(
            ca, code=code, name_en=court.name_en, name_ar=court.name_ar, country=country
        )
        _write_private(path, pem_bundle(made))
        logger.info("Made a development signing certificate for court %s under %s", code, path)
        return made


def court_key(court: CourtLike) -> CourtKey:
    """The key `court` signs with: its configured one, else (development) a generated one."""
    spec = _configured().get(court.code.upper())
    if spec:
        return load_configured_key(court.code, spec)
    if _dev_enabled():
        return _dev_court_key(court)
    raise SigningNotConfigured(court.code)


def is_configured(court: CourtLike) -> bool:
    return court.code.upper() in _configured() or _dev_enabled()


def load_roots(entry: str) -> list[x509.Certificate]:
    """The certificates of one COURT_SIGNING_TRUST_ROOTS entry: a PEM file, or `env:NAME`
    (PEM text, or its base64, in the environment variable NAME)."""
    entry = entry.strip()
    if entry.startswith("env:"):
        data = os.environ.get(entry[4:], "").encode()
        if b"-----BEGIN" not in data:
            try:
                data = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError) as error:
                raise ValueError(f"{entry}: neither PEM nor base64 of PEM") from error
    else:
        data = Path(entry).read_bytes()
    return x509.load_pem_x509_certificates(data)


def trust_roots() -> list[x509.Certificate]:
    """The certificate authorities a court's certificate must chain to."""
    roots: list[x509.Certificate] = []
    for entry in getattr(settings, "COURT_SIGNING_TRUST_ROOTS", []) or []:
        roots.extend(load_roots(entry))
    if _dev_enabled():
        with _dev_lock():
            roots.append(_dev_ca().certificate)
    return roots


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def chains_to(material: CourtKey, roots: list[x509.Certificate]) -> bool:
    """Whether the court's certificate leads, through its chain, to one of `roots`."""
    current = material.certificate
    for _step in range(8):
        if any(_issued_by(current, root) or current == root for root in roots):
            return True
        parent = next((c for c in material.chain if _issued_by(current, c)), None)
        if parent is None or parent == current:
            return False
        current = parent
    return False


def configuration_problems(keys: dict[str, str], root_files: list[str]) -> list[str]:
    """What stops the configured keys from signing documents anyone can check (production's
    settings check): a key that does not load, an expired certificate, a certificate that
    does not chain to a configured trust anchor."""
    problems: list[str] = []
    roots: list[x509.Certificate] = []
    for entry in root_files:
        try:
            roots.extend(load_roots(entry))
        except (OSError, ValueError):
            problems.append(f"COURT_SIGNING_TRUST_ROOTS: {entry} is not readable PEM")
    now = dt.datetime.now(dt.UTC)
    for code, spec in keys.items():
        try:
            material = load_configured_key(code, spec)
        except ValueError as error:
            problems.append(str(error))
            continue
        named = material.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
        if not named or named[0].value != code.strip().upper():
            problems.append(
                f"COURT_SIGNING_KEYS[{code.upper()}]: the certificate's organizationIdentifier "
                "must be the court's code"
            )
        if material.certificate.not_valid_after_utc < now:
            problems.append(f"COURT_SIGNING_KEYS[{code.upper()}]: the certificate has expired")
        if roots and not chains_to(material, roots):
            problems.append(
                f"COURT_SIGNING_KEYS[{code.upper()}]: the certificate does not chain to any of "
                "COURT_SIGNING_TRUST_ROOTS"
            )
    return problems


# --- signing -------------------------------------------------------------------------------------


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _signer(material: CourtKey) -> Any:
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_der = material.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(material.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [_asn1_cert(cert) for cert in material.chain]
        ),
    )


def _timestamper() -> Any:
    url = getattr(settings, "COURT_SIGNING_TSA_URL", "")
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=10)  # type: ignore[no-untyped-call]


def _off_the_event_loop(call: Callable[[], T]) -> T:
    """pyHanko runs its own event loop (asyncio.run): from a thread that already runs one
    (an async caller, a test driving a browser), the work goes to a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def sign_pdf(pdf_bytes: bytes, court: CourtLike, *, reason: str, signer_name: str) -> bytes:
    """`pdf_bytes` signed with `court`'s key: PAdES B-B (B-T with a time-stamping authority).

    The signature names the person who signed (`signer_name`) and why (`reason`); the court is
    the certificate's. The document's kind and number, if any, are the PDF's own metadata
    (keywords `mazad-kind:` and `mazad-number:`), which the signature covers. Raises
    SigningNotConfigured if the court has no key.
    """
    return _off_the_event_loop(
        lambda: _sign(pdf_bytes, court, reason=reason, signer_name=signer_name)
    )


def _sign(pdf_bytes: bytes, court: CourtLike, *, reason: str, signer_name: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    material = court_key(court)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name="CourtSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=signer_name,
        location=f"{court.name_en} · {court.name_ar}",
        contact_info=settings.SITE_URL,
    )
    output = signers.sign_pdf(
        writer,
        metadata,
        signer=_signer(material),
        timestamper=_timestamper(),
        new_field_spec=fields.SigFieldSpec("CourtSignature"),
    )
    signed: bytes = output.getvalue()
    return signed


# --- validation ----------------------------------------------------------------------------------


MESSAGES: dict[str, Promise] = {
    "signature_valid": _("The document is exactly as the court signed it."),
    "pdf_too_large": _("The file is larger than %(limit)s MB; it is not one of ours."),
    "pdf_not_pdf": _("This is not a PDF file: choose the signed PDF as it was downloaded."),
    "pdf_unreadable": _("The PDF cannot be read: it is damaged or was changed."),
    "pdf_not_signed": _("The PDF carries no signature."),
    "signature_modified": _(
        "The document was modified after it was signed: its signature no longer matches."
    ),
    "signature_added_content": _(
        "Something was added to the document after it was signed: it is not the signed version."
    ),
    "signature_untrusted": _(
        "Unknown signer: the signature is intact, but the key is not a court's key "
        "published by this platform."
    ),
}


@dataclass(frozen=True)
class SignatureCheck:
    """What `validate_signed_pdf` found. `valid` only when intact, untouched and trusted."""

    valid: bool
    code: str
    message: str | Promise
    intact: bool = False
    modified_after_signing: bool = False
    trusted: bool = False
    signer_name: str = ""
    certificate_subject: str = ""
    court_code: str = ""
    court_name: str = ""
    signed_at: dt.datetime | None = None
    timestamped: bool = False
    reason: str = ""
    document_kind: str = ""
    document_number: str = ""
    document_title: str = ""
    details: dict[str, str] = field(default_factory=dict)

    @property
    def kind_label(self) -> str | Promise:
        return KINDS.get(self.document_kind, self.document_kind)


def _check(code: str, **values: Any) -> SignatureCheck:
    params = values.pop("params", None)
    message: str | Promise = MESSAGES[code]
    if params:
        message = message % params
    return SignatureCheck(valid=code == "signature_valid", code=code, message=message, **values)


def _text(value: Any) -> str:
    try:
        return str(value) if value is not None else ""
    except (TypeError, ValueError):
        return ""


def _subject_value(cert: Any, oid: str) -> str:
    try:
        for rdn in cert.subject.chosen:
            for attribute in rdn:
                if attribute["type"].dotted == oid:
                    return _text(attribute["value"].native)
    except (AttributeError, KeyError, TypeError, ValueError):
        return ""
    return ""


def _document_info(reader: Any) -> tuple[str, str, str]:
    """(kind, number, title) from the PDF's document information dictionary."""
    try:
        info = reader.trailer_view.get("/Info")
        info = info.get_object() if info is not None else {}
        keywords = _text(info.get("/Keywords", ""))
        title = _text(info.get("/Title", ""))
    except Exception:  # a damaged dictionary: the document says nothing about itself
        return "", "", ""
    kind = number = ""
    for word in keywords.replace(";", ",").split(","):
        word = word.strip()
        if word.startswith(KIND_KEYWORD):
            kind = word[len(KIND_KEYWORD) :][:40]
        elif word.startswith(NUMBER_KEYWORD):
            number = word[len(NUMBER_KEYWORD) :][:60]
    return kind, number, title[:200]


@lru_cache(maxsize=8)
def _asn1_roots(pems: tuple[bytes, ...]) -> tuple[asn1_x509.Certificate, ...]:
    return tuple(asn1_x509.Certificate.load(pem) for pem in pems)


def validate_signed_pdf(
    data: bytes, *, roots: list[x509.Certificate] | None = None
) -> SignatureCheck:
    """Whether `data` is a PDF signed by a court, byte for byte as signed. Never raises on bad
    input. `roots` are the trust anchors (the configured ones by default).

    With several signatures, the last one decides (it covers the earlier ones)."""
    return _off_the_event_loop(lambda: _validate(data, roots))


def _validate(data: bytes, roots: list[x509.Certificate] | None) -> SignatureCheck:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    if len(data) > MAX_BYTES:
        return _check("pdf_too_large", params={"limit": MAX_BYTES // (1024 * 1024)})
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        return _check("pdf_not_pdf")
    anchors = roots if roots is not None else trust_roots()
    der = tuple(cert.public_bytes(serialization.Encoding.DER) for cert in anchors)
    context = ValidationContext(
        trust_roots=list(_asn1_roots(der)), allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # pyHanko raises many kinds on a damaged file
        logger.info("An uploaded PDF could not be read")
        return _check("pdf_unreadable")
    if not signatures:
        return _check("pdf_not_signed")
    embedded = signatures[-1]
    kind, number, title = _document_info(reader)
    try:
        status = validate_pdf_signature(
            embedded,
            signer_validation_context=context,
            key_usage_settings=KeyUsageConstraints(key_usage={"digital_signature"}),
        )
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as error:
        logger.info("A signature could not be validated: %s", error)
        return _check("signature_modified", document_kind=kind, document_number=number)
    except Exception:  # not a known way for a file to be bad: keep the trace to look at
        logger.warning("A signature could not be validated", exc_info=True)
        return _check("pdf_unreadable")
    cert = status.signing_cert
    signed_at = status.signer_reported_dt
    if status.timestamp_validity is not None:
        signed_at = status.timestamp_validity.timestamp
    try:
        sig_object = embedded.sig_object
        signer_name = _text(sig_object.get("/Name", ""))
        reason = _text(sig_object.get("/Reason", ""))
    except Exception:
        signer_name = reason = ""
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    values: dict[str, Any] = {
        "intact": bool(status.intact and status.valid),
        "modified_after_signing": not (status.intact and status.valid) or not whole,
        "trusted": bool(status.trusted),
        "signer_name": signer_name[:200],
        "certificate_subject": _text(cert.subject.human_friendly)[:300] if cert else "",
        "court_code": _subject_value(cert, "2.5.4.97")[:20] if cert else "",
        "court_name": _subject_value(cert, "2.5.4.10")[:200] if cert else "",
        "signed_at": signed_at,
        "timestamped": status.timestamp_validity is not None,
        "reason": reason[:300],
        "document_kind": kind,
        "document_number": number,
        "document_title": title,
    }
    if not (status.intact and status.valid):
        return _check("signature_modified", **values)
    if not whole:
        return _check("signature_added_content", **values)
    if not status.trusted:
        return _check("signature_untrusted", **values)
    return _check("signature_valid", **values)
