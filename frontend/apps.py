"""The site shell: templates, static files, the home, help and status pages, announcements."""

from django.apps import AppConfig
from django.core.signals import request_started
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from core import http_cache


class FrontendConfig(AppConfig):
    name = "frontend"
    verbose_name = _("Site")

    def ready(self) -> None:
        from frontend import selectors  # its models load once the app registry is ready
        from frontend.models import Announcement

        http_cache.shown_on_every_page(
            http_cache.ShellPart(
                version=selectors.ANNOUNCEMENTS,
                state=selectors.announcement_ids,
                changes_at=selectors.announcements_change_at,
            )
        )
        request_started.connect(selectors.forget_read, dispatch_uid="announcements-request")
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(
                selectors.announcements_changed,
                sender=Announcement,
                dispatch_uid=f"announcements-{name}",
            )
