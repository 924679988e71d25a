"""Settings for the test suite: the base settings with fast password hashing."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = str(BASE_DIR / "var" / "test-media")  # noqa: F405
AUDIT_CHECKPOINT_DIR = str(BASE_DIR / "var" / "test-audit-checkpoints")  # noqa: F405
PRIVATE_MEDIA_ROOT = str(BASE_DIR / "var" / "test-private")  # noqa: F405
COURT_SIGNING_DEV_KEYS = True
COURT_SIGNING_DEV_DIR = str(BASE_DIR / "var" / "test-signing")  # noqa: F405
# Most page tests read each response's template context, which a page served whole from the
# shared cache has none of; tests/auction/test_shared_pages.py turns the shared pages on.
SHARED_PUBLIC_PAGES = False
# Many tests check receipts from one address; tests/auction/test_signed_bid_receipts.py sets
# a low limit (and an address of its own) to test the cap itself.
RECEIPT_VERIFY_LIMIT = 100_000
# Likewise the letters list's cached page (tests/enforcement/test_letter_pages.py turns it on).
CACHED_STAFF_LISTS = False
