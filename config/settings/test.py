"""Settings for the test suite: the base settings with fast password hashing."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = str(BASE_DIR / "var" / "test-media")  # noqa: F405
AUDIT_CHECKPOINT_DIR = str(BASE_DIR / "var" / "test-audit-checkpoints")  # noqa: F405
PRIVATE_MEDIA_ROOT = str(BASE_DIR / "var" / "test-private")  # noqa: F405
