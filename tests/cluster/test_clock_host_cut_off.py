"""One clock host loses its link while lots end: the other closes each lot, once, on time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.faults.provider import wait_until
from tests.faults.sale import db_now, live_sale

# A cluster starts in one to two minutes on a busy 2-core machine; the scenario runs after
# (a stuck one is stopped at 10 minutes, and its cluster still removed).
pytestmark = [pytest.mark.cluster, pytest.mark.servers, pytest.mark.timeout(600)]

LOTS = 6


def test_a_clock_cut_off_leaves_every_lot_to_the_other_which_closes_each_once_on_time(
    on_cluster, chance
):
    from auction.models import Lot
    from core.models import AuditRecord

    cluster = on_cluster
    sale = live_sale(cluster, lots=LOTS, bidders=0, signed_in=False)  # type: ignore[arg-type]
    ids = [lot.pk for lot in sale.lots]
    # Both clocks are at work (each beats); then clock1's cable is pulled just before the ends.
    end = db_now() + timedelta(seconds=4 + chance.uniform(0, 1))
    Lot.objects.filter(pk__in=ids).update(ends_at=end, original_ends_at=end)
    cluster.network.cut("clock1")
    wait_until(
        lambda: Lot.objects.filter(pk__in=ids, status="OPEN").count() == 0,
        timeout=60,
        what="every lot to close",
    )
    lots = list(Lot.objects.filter(pk__in=ids))
    for lot in lots:
        closes = AuditRecord.objects.filter(action="lot.closed", object_id=str(lot.pk)).count()
        assert closes == 1, f"lot {lot.pk} closed {closes} times"
        assert lot.closed_at is not None
        assert lot.closed_at >= lot.ends_at
        # On time as the database tells it: within the clock's beat and the dead peer's timeout.
        assert lot.closed_at - lot.ends_at < timedelta(seconds=10), lot.closed_at - lot.ends_at
    assert cluster.processes["clock1"][0].popen.poll() is None, "clock1 ran on, cut off"
    print(sorted((lot.closed_at - lot.ends_at).total_seconds() for lot in lots))
