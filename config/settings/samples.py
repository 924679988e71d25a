"""Secrets published with Mazad (development defaults, docker-compose's old samples): production
refuses every one of them, because anyone can read them here."""

# STRIPE_WEBHOOK_SECRET: with a published one, anyone can sign an event.
WEBHOOK_SECRETS = frozenset({"whsec_mazad_development", "whsec_change_me"})
# STRIPE_SECRET_KEY.
API_KEYS = frozenset({"sk_test_mazad", "sk_test_change_me", "sk_test_x"})
# SECRET_KEY: the development default and the sample that docker-compose.yml once carried.
SECRET_KEYS = frozenset(
    {
        "dev-only-insecure-key-change-me-in-production-0123456789",
        "change-me-to-a-long-random-value-of-at-least-fifty-characters-0123456789",
    }
)
# AUDIT_SIGNING_KEY: the sample that docker-compose.yml once carried.
AUDIT_SIGNING_KEYS = frozenset({"OyAGqAxXDHyFcc3J+2If2LwhwuPjjPQ814mFmtw5yes="})
# WEBPUSH_VAPID_PRIVATE_KEY: the key development derives from the development SECRET_KEY.
VAPID_PRIVATE_KEYS = frozenset({"h2sA8UW6Glv76_k3H_d7qTQquUIkW-FHfa3C5EDyNSM"})
# Words that mark a placeholder rather than a secret (".env.example" uses them).
PLACEHOLDER_WORDS = ("change-me", "change_me", "changeme", "replace-me", "example")


def is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(word in lowered for word in PLACEHOLDER_WORDS)
