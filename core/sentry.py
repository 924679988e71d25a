"""Optional error reports to Sentry: configured only when SENTRY_DSN is set, off otherwise."""

from __future__ import annotations


def configure(dsn: str, environment: str, traces_sample_rate: float) -> bool:
    """Start the Sentry client for `dsn`; without one nothing is started and nothing is sent.

    Errors (and ERROR log lines) are reported without personal data: no cookies, no user, no
    request bodies (`send_default_pii` off), since bidders' identities are court records.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        integrations=[DjangoIntegration(), LoggingIntegration()],
    )
    return True
