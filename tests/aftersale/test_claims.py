"""What each applicant is still owed when part of the file was paid outside the court account."""

from __future__ import annotations

import pytest

from aftersale.services import claims
from enforcement.models import EnforcementFile
from tests.aftersale import helpers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("paid", [9_814, 9_813, 5_000, 1])
def test_what_was_paid_elsewhere_leaves_the_applicants_owed_exactly_the_files_balance(court, paid):
    file = helpers.file_with(court, claim=2_291, costs=7_523, applicants=2)  # shares 1 and 2
    EnforcementFile.objects.filter(pk=file.pk).update(paid_directly_minor=paid)
    file.refresh_from_db()

    owed = claims.applicants_of(file)

    assert [link.share for link, _costs, _claim in owed] == [1, 2]
    assert sum(costs + claim for _link, costs, claim in owed) == 2_291 + 7_523 - paid
    assert all(costs >= 0 and claim >= 0 for _link, costs, claim in owed)
