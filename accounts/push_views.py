"""The JSON endpoint through which a signed-in person's browser subscribes to web push."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts import webpush
from accounts.models import User
from core.errors import DomainError


@require_http_methods(["POST", "DELETE"])
def push_subscription(request: HttpRequest) -> JsonResponse:
    """POST keeps the browser's subscription (`PushSubscription.toJSON()`), DELETE forgets it.

    CSRF-protected like every unsafe request (the `X-CSRFToken` header). Answers
    `{"subscribed": true|false}`, or `{"error": {code, field, params, message}}` naming the
    field at fault, with nothing changed.
    """
    if not request.user.is_authenticated:
        error = DomainError(_("Log in to turn notifications on."), code="unauthenticated")
        return JsonResponse({"error": error.as_dict()}, status=401)
    user: User = request.user
    try:
        if not webpush.is_enabled():
            raise DomainError(_PUSH_OFF, code="push_unavailable")
        data = webpush.parse_json(request.body)
        if request.method == "DELETE":
            webpush.unsubscribe(user=user, endpoint=webpush.parse_endpoint(data))
            return JsonResponse({"subscribed": False})
        subscription = webpush.parse_subscription(data)
        webpush.subscribe(user=user, subscription=subscription)
    except DomainError as error:
        status = 409 if error.code == "push_unavailable" else error.status
        return JsonResponse({"error": error.as_dict()}, status=status)
    return JsonResponse({"subscribed": True}, status=201)


_PUSH_OFF = _("Notifications on the phone are not offered on this site.")
