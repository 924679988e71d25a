"""Which shared public pages a saved row changes: the catalog, and the lots' own pages.

The catalog and a lot's page are shared whole by anonymous readers (core/http_cache.py,
`shared_page`) while their version counters stand still. Live frames bump them in the round
trip that publishes them (auction/events.py, `publish`): every bid, opening, extension and
close. A row saved through the ORM bumps them here, at once and again after its commit: a
lot, an auction (its publication makes lots visible), an asset on sale, its photos,
documents, encumbrances and appraisals, so an edit shows at once. A write in bulk SQL that
publishes no frame does not reach them: the shared pages' time (a minute) bounds it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from auction import events
from auction.models import Auction, Lot, Question
from enforcement.models import Appraisal, AssetDocument, AssetPhoto, Encumbrance, SeizedAsset


def _lot_saved(sender: Any, instance: Lot, **kwargs: Any) -> None:
    events.pages_changed([instance.pk])


def _auction_saved(sender: Any, instance: Auction, **kwargs: Any) -> None:
    events.pages_changed(_lots_of(auction_id=instance.pk))


def _asset_saved(sender: Any, instance: SeizedAsset, **kwargs: Any) -> None:
    if not kwargs.get("created", False):
        events.pages_changed(_lots_of(asset_id=instance.pk))


def _asset_part_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    events.pages_changed(_lots_of(asset_id=instance.asset_id))


def _question_saved(sender: Any, instance: Question, **kwargs: Any) -> None:
    events.pages_changed([instance.lot_id])  # an answered question is shown on its lot's page


def _lots_of(**where: int) -> list[int]:
    return list(Lot.objects.filter(**where).values_list("pk", flat=True))


def connect() -> None:
    """Called once at start-up (auction/apps.py)."""
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(_lot_saved, sender=Lot, dispatch_uid=f"pages-lot-{name}")
        signal.connect(_auction_saved, sender=Auction, dispatch_uid=f"pages-auction-{name}")
        signal.connect(_question_saved, sender=Question, dispatch_uid=f"pages-question-{name}")
        for part in (AssetPhoto, AssetDocument, Encumbrance, Appraisal):
            uid = f"pages-{part.__name__}-{name}"
            signal.connect(_asset_part_saved, sender=part, dispatch_uid=uid)
    post_save.connect(_asset_saved, sender=SeizedAsset, dispatch_uid="pages-asset-saved")
