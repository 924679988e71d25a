"""The agencies API (v2): agency systems pull their structured requests and answer them.

OAuth2 client credentials (`POST /api/oauth/token/`), scopes per kind of order
(`orders:bank:read`, `orders:bank:answer`, ...; docs/agencies.md). Every error is an
RFC 9457 problem (`application/problem+json`) listing every invalid field. Answers take an
`Idempotency-Key`. The OpenAPI document is served at /api/v2/openapi.json.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from ninja import Field, File, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.security.http import HttpAuthBase
from ninja.throttling import SimpleRateThrottle

from core.errors import DomainError, NotFound
from enforcement import oauth, requests_online
from enforcement.models import AgencyAnswer, AgencyLetter
from enforcement.services import agencies

PROBLEM = "application/problem+json"


class CursorInvalid(DomainError):
    code = "cursor_invalid"
    status = 422
    message = "The cursor is not one this API gave: pass `next_cursor` back unchanged."


class OAuthBearer(HttpAuthBase):
    """A bearer token issued by the OAuth2 token endpoint to an application bound to an agency."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> oauth.Client | None:
        return oauth.client_of(request)


class ApplicationThrottle(SimpleRateThrottle):
    """At most AGENCY_API_RATE requests in any window of its length, per agency application.

    A sliding window (the times of the recent requests, in the shared cache), so a burst
    across a window's edge is counted whole; the rate is read from the settings each time.
    """

    scope = "agency-api"

    def __init__(self) -> None:
        super().__init__(settings.AGENCY_API_RATE)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        client = getattr(request, "auth", None)
        if not isinstance(client, oauth.Client):
            return None
        return f"throttle_agency_api_{client.binding.pk}"

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.AGENCY_API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return bool(super().allow_request(request))


api = NinjaAPI(
    title="Mazad agencies API",
    version="2",
    description=(
        "Structured requests from execution courts to banks, traffic departments, land "
        "registries and passport authorities: pull them (or receive them by signed webhook), "
        "answer them with a typed answer, attach documents. Authenticate with OAuth2 client "
        "credentials at /api/oauth/token/. Errors are RFC 9457 problem documents."
    ),
    urls_namespace="agencies_api",
    docs_url=None,
    auth=OAuthBearer(),
    throttle=[ApplicationThrottle()],
)


class FieldProblem(Schema):
    field: str
    code: str
    message: str


class Problem(Schema):
    type: str = Field(..., examples=["urn:mazad:error:answer_invalid"])
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblem] = []


def problem(
    request: HttpRequest,
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {
        "type": f"urn:mazad:error:{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": request.path,
        "code": code,
        "errors": [
            {"field": item["field"], "code": item["code"], "message": item["message"]}
            for item in errors or []
        ],
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(agencies.AnswerInvalid)
def answer_invalid(request: HttpRequest, error: agencies.AnswerInvalid) -> HttpResponse:
    return problem(request, error.status, error.code, error.render(), error.errors)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    errors = (
        [{"field": error.field, "code": error.code, "message": error.render()}]
        if error.field
        else []
    )
    return problem(request, error.status, error.code, error.render(), errors)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return problem(
        request,
        401,
        "invalid_token",
        "Send a valid, unexpired access token from /api/oauth/token/.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = []
    for item in error.errors:
        location = [str(part) for part in item.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header", "form", "file"):
            location = location[1:]
        if location and location[0] in ("payload", "filters"):
            location = location[1:]
        errors.append(
            {
                "field": ".".join(location) or "body",
                "code": str(item.get("type", "invalid")),
                "message": str(item.get("msg", "Invalid input.")),
            }
        )
    return problem(request, 422, "invalid", "The request has invalid fields.", errors)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if error.status_code == 429:
        wait = getattr(error, "wait", None)
        return problem(
            request,
            429,
            "rate_limited",
            f"Too many requests: at most {settings.AGENCY_API_RATE} per application.",
            headers={"Retry-After": str(int(wait or 60))},
        )
    return problem(request, error.status_code, "http_error", str(error))


class AnswerOut(Schema):
    id: int
    request: str
    outcome: str
    amount_minor: int | None
    accounts: list[str]
    reference: str
    location: str
    effective_on: date | None
    note: str
    document_type: str | None
    answered_at: datetime


class RequestOut(Schema):
    number: str = Field(..., examples=["RYC-L-2026-000042"])
    subject_kind: Literal["SEIZE", "LIFT"]
    status: str
    due_on: date
    sent_at: datetime
    # To the microsecond (a datetime would be cut to the millisecond): pass it back as
    # `updated_since` and nothing changed in the same millisecond is missed.
    updated_at: str = Field(
        ..., json_schema_extra={"format": "date-time"}, examples=["2026-03-01T08:15:02.123456Z"]
    )
    order_status: str | None
    amount_frozen_minor: int | None
    amount_transferred_minor: int | None
    payload: dict[str, Any] = Field(
        ...,
        examples=[
            {
                "action": "freeze_funds",
                "order_kind": "BANK_FUNDS",
                "order_id": 17,
                "file_number": "RYC-2026-000123",
                "court": "RYC",
                "target": {
                    "iban": "SA0380000000608010167519",
                    "amount_minor": 15250000,
                    "currency": "SAR",
                },
                "answers": ["FROZEN", "TRANSFERRED", "NOTHING_FOUND", "REFUSED"],
            }
        ],
    )
    answers: list[AnswerOut]


class Page(Schema):
    items: list[RequestOut]
    next_cursor: str | None


class RequestFilter(Schema):
    updated_since: datetime | None = Field(
        None, description="Only requests created or changed after this instant (ISO 8601)."
    )
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of a page.")
    limit: int = Field(50, ge=1, le=200)
    status: Literal["OPEN", "SENT", "ACKNOWLEDGED", "ANSWERED"] | None = None


class AnswerIn(Schema):
    """A typed answer: the fields each outcome takes are in docs/agencies.md."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "outcome": "FROZEN",
                    "accounts": ["SA0380000000608010167519"],
                    "amount_minor": 1500000,
                },
                {"outcome": "TRANSFERRED", "amount_minor": 1500000, "reference": "TRF-2026-889"},
                {"outcome": "BLOCKED", "location": "Riyadh impound lot 4"},
                {"outcome": "ANNOTATED", "reference": "ANN-2026-1204"},
                {"outcome": "BAN_IN_FORCE", "effective_on": "2026-03-01"},
                {"outcome": "NOTHING_FOUND", "note": "No account in this name."},
                {"outcome": "LIFTED", "effective_on": "2026-04-02"},
            ]
        },
    }

    outcome: Literal[
        "FROZEN",
        "TRANSFERRED",
        "BLOCKED",
        "ANNOTATED",
        "BAN_IN_FORCE",
        "NOTHING_FOUND",
        "REFUSED",
        "LIFTED",
    ]
    amount_minor: int | None = Field(None, ge=0, le=10**15)
    accounts: list[str] | None = Field(None, max_length=20)
    reference: str | None = Field(None, max_length=64)
    location: str | None = Field(None, max_length=300)
    effective_on: date | None = None
    note: str | None = Field(None, max_length=2000)


def _client(request: HttpRequest) -> oauth.Client:
    client = request.auth  # type: ignore[attr-defined]
    assert isinstance(client, oauth.Client)
    return client


def _kinds(client: oauth.Client, verb: str) -> list[str]:
    return [kind for kind in oauth.KIND_SCOPE if oauth.scope(kind, verb) in client.scopes]


def _require(client: oauth.Client, verb: str) -> list[str]:
    kinds = _kinds(client, verb)
    if not kinds:
        raise agencies.InsufficientScope()
    return kinds


def _visible(client: oauth.Client) -> QuerySet[AgencyLetter]:
    kinds = _require(client, "read")
    return (
        AgencyLetter.objects.filter(agency=client.agency, order__kind__in=kinds)
        .exclude(payload={})
        .select_related("order")
        .prefetch_related("answers")
    )


def _cursor(letter: AgencyLetter) -> str:
    raw = f"{letter.updated_at.isoformat()}|{letter.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(cursor: str) -> Q:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _bar, pk = raw.partition("|")
        moment = parse_datetime(stamp)
        if moment is None:
            raise ValueError(stamp)
        return Q(updated_at__gt=moment) | Q(updated_at=moment, pk__gt=int(pk))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise CursorInvalid(field="cursor") from None


@api.get(
    "/requests",
    response={200: Page, 401: Problem, 403: Problem, 422: Problem, 429: Problem},
    summary="Your agency's structured requests, oldest change first",
)
def list_requests(request: HttpRequest, filters: Query[RequestFilter]) -> Page:
    """Keyset pages by (updated_at, id): pass `next_cursor` back as `cursor` until it is null.

    Poll with `updated_since` (the `updated_at` of the last request you saw) to get what
    is new or changed: a new answer or a lift request changes `updated_at`.
    """
    letters = _visible(_client(request))
    if filters.updated_since is not None:
        letters = letters.filter(updated_at__gt=filters.updated_since)
    if filters.cursor:
        letters = letters.filter(_after(filters.cursor))
    if filters.status == "OPEN":
        letters = letters.exclude(status=AgencyLetter.Status.ANSWERED)
    elif filters.status:
        letters = letters.filter(status=filters.status)
    page = list(letters.order_by("updated_at", "pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return Page(
        items=[RequestOut(**requests_online.serialize_request(item)) for item in page],
        next_cursor=_cursor(page[-1]) if more and page else None,
    )


@api.get(
    "/requests/{number}",
    response={200: RequestOut, 401: Problem, 403: Problem, 404: Problem, 429: Problem},
    summary="One request with its answers",
)
def get_request(request: HttpRequest, number: str) -> RequestOut:
    letter = _visible(_client(request)).filter(number=number).first()
    if letter is None:
        raise NotFound("Not found.")
    return RequestOut(**requests_online.serialize_request(letter))


def _fingerprint(number: str, payload: AnswerIn) -> str:
    body = payload.model_dump(mode="json", exclude_unset=True)
    raw = json.dumps({"request": number, "answer": body}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def _idempotency_key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 100 or not all(33 <= ord(char) < 127 for char in key):
        raise DomainError(
            "An Idempotency-Key is 1 to 100 visible ASCII characters.",
            code="idempotency_key_invalid",
            field="Idempotency-Key",
        )
    return key


@api.post(
    "/requests/{number}/answers",
    response={
        201: AnswerOut,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
        429: Problem,
    },
    summary="Answer a request (typed per kind of order)",
    openapi_extra={
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 100},
                "description": "Same key and body: the first answer again, nothing changes. "
                "Same key, another body: 409 idempotency_key_reused.",
            }
        ]
    },
)
def answer(request: HttpRequest, number: str, payload: AnswerIn) -> HttpResponse:
    client = _client(request)
    key = _idempotency_key(request)
    given = agencies.AnswerInput(
        outcome=payload.outcome,
        amount_minor=payload.amount_minor,
        accounts=tuple(payload.accounts or ()),
        reference=payload.reference or "",
        location=payload.location or "",
        effective_on=payload.effective_on,
        note=payload.note or "",
        given=frozenset(name for name in payload.model_fields_set if name != "outcome"),
    )
    result = agencies.answer_request(
        agency_id=client.agency.pk,
        actor=client.binding.user,
        application_id=client.binding.pk,
        number=number,
        given=given,
        idempotency_key=key,
        fingerprint=_fingerprint(number, payload),
        may_answer=lambda kind: oauth.scope(kind, "answer") in client.scopes,
    )
    body = json.dumps(requests_online.serialize_answer(result.answer))
    response = HttpResponse(body, status=201, content_type="application/json")
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@api.post(
    "/answers/{answer_id}/document",
    response={
        200: AnswerOut,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
        429: Problem,
    },
    summary="Attach a document (PDF or image, checked by its content) to an answer",
)
def attach(request: HttpRequest, answer_id: int, document: File[UploadedFile]) -> AnswerOut:
    client = _client(request)
    found = AgencyAnswer.objects.filter(pk=answer_id, agency=client.agency).first()
    if found is None:
        raise NotFound("Not found.")
    if oauth.scope(found.order.kind, "answer") not in client.scopes:
        raise agencies.InsufficientScope()
    saved = agencies.attach_document(
        agency_id=client.agency.pk,
        actor=client.binding.user,
        answer_id=answer_id,
        document=document,
    )
    return AnswerOut(**requests_online.serialize_answer(saved))
