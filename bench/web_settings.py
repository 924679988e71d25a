"""The production settings with the benchmark's ceiling page routed (bench/urls.py)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
