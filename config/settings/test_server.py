"""Settings of web processes started by the test suite: production-like, on loopback, no TLS."""

from .base import *  # noqa: F403

DEBUG = False
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
COURT_SIGNING_DEV_DIR = str(BASE_DIR / "var" / "test-signing")  # noqa: F405
