"""The demo data of `make run` (`manage.py seed_demo`): courts, people, files, sales, history.

It may use every app; no app uses it.
"""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
