"""What the site broadcasts to every open page after commit."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.transactions import after_commit

ANNOUNCEMENTS_GROUP = "announcements"


def announce_after_commit(*, announcement_id: int, text_ar: str, text_en: str) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(
                ANNOUNCEMENTS_GROUP,
                {
                    "type": "site.announcement",
                    "id": announcement_id,
                    "text_ar": text_ar,
                    "text_en": text_en,
                },
            )

    after_commit(send)
