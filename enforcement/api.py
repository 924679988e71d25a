"""The agency API: an agency's system fetches the letters sent to it and answers them.

Token authentication (`Authorization: Bearer mzd_...`, issued on the agency's
API tokens page); the OpenAPI schema is served at /api/v1/openapi.json.
Errors have the one shape of core.errors: code, field, params, message.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer

from core.errors import DomainError
from core.inputs import CONTROL_CHARACTER, ApiLongText
from enforcement import letters as letter_documents
from enforcement import selectors, services
from enforcement.models import AgencyLetter


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Mazad agency API",
    version="1",
    description=(
        "Letters from execution courts to a government agency: fetch them, acknowledge them, "
        "answer them. Authenticate with a token from the agency's API tokens page."
    ),
    urls_namespace="agency_api",
    docs_url=None,
    auth=TokenAuth(),
)


class Error(Schema):
    code: str
    field: str | None
    params: dict[str, Any]
    message: str


class AssetRef(Schema):
    kind: str
    title: str
    vin: str
    plate: str
    deed_number: str


class OrderRef(Schema):
    kind: str
    status: str
    target: str


class Letter(Schema):
    number: str
    court: str
    court_name_ar: str
    court_name_en: str
    file_number: str
    subject_kind: str
    language: str
    subject: str
    body: str
    due_on: date
    status: str
    is_overdue: bool
    sent_at: datetime
    acknowledged_at: datetime | None
    answered_at: datetime | None
    answer: str
    asset: AssetRef | None
    order: OrderRef | None


class Answer(Schema):
    answer: ApiLongText = Field(..., min_length=1, max_length=5000)


class LetterFilter(Schema):
    status: Literal["OPEN", "SENT", "ACKNOWLEDGED", "ANSWERED"] | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def _letter(letter: AgencyLetter) -> Letter:
    asset, order = letter.asset, letter.order
    return Letter(
        number=letter.number,
        court=letter.court.code,
        court_name_ar=letter.court.name_ar,
        court_name_en=letter.court.name_en,
        file_number=letter.file.number,
        subject_kind=letter.subject_kind,
        language=letter.language,
        subject=letter.subject,
        body=letter.body,
        due_on=letter.due_on,
        status=letter.status,
        is_overdue=bool(getattr(letter, "is_overdue", False)),
        sent_at=letter.sent_at,
        acknowledged_at=letter.acknowledged_at,
        answered_at=letter.answered_at,
        answer=letter.answer,
        asset=AssetRef(
            kind=asset.kind,
            title=asset.title,
            vin=asset.vin,
            plate=asset.plate,
            deed_number=asset.deed_number,
        )
        if asset
        else None,
        order=OrderRef(kind=order.kind, status=order.status, target=order.target_summary)
        if order
        else None,
    )


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    body: dict[str, Any] = {
        "code": "unauthenticated",
        "field": None,
        "params": {},
        "message": "Send a valid API token.",
    }
    return api.create_response(request, body, status=401)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    first = error.errors[0] if error.errors else {}
    field = str(first.get("loc", ["", ""])[-1]) if first else None
    # The shared input rule's code (core.inputs) where it refused; "invalid" for the rest.
    code = CONTROL_CHARACTER if first.get("type") == CONTROL_CHARACTER else "invalid"
    body: dict[str, Any] = {
        "code": code,
        "field": field,
        "params": {},
        "message": str(first.get("msg", "Invalid input.")),
    }
    return api.create_response(request, body, status=422)


def _user(request: HttpRequest) -> Any:
    return request.user


@api.get(
    "/letters", response={200: list[Letter], 401: Error}, summary="Letters sent to your agency"
)
def list_letters(request: HttpRequest, filters: Query[LetterFilter]) -> list[Letter]:
    """Overdue letters first, then by due date."""
    letters = selectors.letters_overdue_first(_user(request), status=filters.status or "")
    return [_letter(letter) for letter in letters[filters.offset : filters.offset + filters.limit]]


@api.get("/letters/{number}", response={200: Letter, 401: Error, 404: Error}, summary="One letter")
def get_letter(request: HttpRequest, number: str) -> Letter:
    return _letter(selectors.get_letter_by_number(_user(request), number))


@api.get(
    "/letters/{number}/pdf",
    response={200: bytes, 401: Error, 404: Error},
    summary="The printed letter (PDF)",
    openapi_extra={
        "responses": {
            200: {
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
            }
        }
    },
)
def letter_pdf(request: HttpRequest, number: str) -> HttpResponse:
    letter = selectors.get_letter_by_number(_user(request), number)
    return HttpResponse(letter_documents.render_pdf(letter), content_type="application/pdf")


@api.post(
    "/letters/{number}/acknowledge",
    response={200: Letter, 401: Error, 404: Error, 409: Error},
    summary="Acknowledge receipt of a letter",
)
def acknowledge(request: HttpRequest, number: str) -> Letter:
    user = _user(request)
    letter = selectors.get_letter_by_number(user, number)
    services.acknowledge_letter(actor=user, letter_id=letter.pk)
    return _letter(selectors.get_letter_by_number(user, number))


@api.post(
    "/letters/{number}/answer",
    response={200: Letter, 400: Error, 401: Error, 404: Error, 409: Error, 422: Error},
    summary="Answer a letter",
)
def answer(request: HttpRequest, number: str, payload: Answer) -> Letter:
    user = _user(request)
    letter = selectors.get_letter_by_number(user, number)
    services.answer_letter(actor=user, letter_id=letter.pk, answer=payload.answer)
    return _letter(selectors.get_letter_by_number(user, number))
