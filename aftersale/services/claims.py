"""What each payee of a file is still owed, as the waterfall's input (reads only).

Applicants are owed the file's costs and claim split by their shares; what
was paid to them outside the court account (the file's `paid_directly_minor`)
is imputed to them in proportion to what each is due, never above it, and
counts against the costs first, then the claim; what earlier distributions
gave them counts against the same step. Secured creditors are
owed the recorded amount of their encumbrance less what they already got.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum

from aftersale import engine
from aftersale.models import CustodyItem, Disbursement, Distribution, DistributionLine
from aftersale.models.distribution import PayeeKind
from enforcement.models import Encumbrance, EnforcementFile, FileParty, Party

SECURED_KINDS = (Encumbrance.Kind.MORTGAGE, Encumbrance.Kind.LIEN, Encumbrance.Kind.CHARGE)


@dataclass(frozen=True)
class Payee:
    key: str
    name: str
    party: Party | None = None
    encumbrance: Encumbrance | None = None


@dataclass
class Plan:
    file: EnforcementFile
    received: list[engine.Received]
    applicants: list[engine.Claimant]
    creditors: list[engine.Claimant]
    debtors: list[engine.Claimant]
    payees: dict[str, Payee] = field(default_factory=dict)
    items: dict[str, CustodyItem] = field(default_factory=dict)

    def basis(self, part: engine.Part) -> dict[str, Any]:
        """What a step rests on, stored with the line and shown with it."""
        basis: dict[str, Any] = {"step": part.step}
        item = self.items.get(part.source or "")
        if item is not None and item.sale is not None:
            basis.update(lot=item.sale.lot.reference, rules=item.sale.rules)
        if part.step in ("COSTS", "CLAIM"):
            basis.update(
                claim_minor=self.file.claim_minor,
                costs_minor=self.file.costs_minor,
                share=self._share(part.payee),
                shares=sum(a.share for a in self.applicants),
            )
        if part.step == "SECURED":
            encumbrance = self.payees[part.payee].encumbrance
            assert encumbrance is not None
            basis.update(
                kind=encumbrance.kind,
                rank=encumbrance.rank,
                recorded_minor=encumbrance.amount_minor,
            )
        if part.step == "SURPLUS":
            basis.update(share=self._share(part.payee), shares=sum(d.share for d in self.debtors))
        return basis

    def _share(self, key: str) -> int:
        for claimant in (*self.applicants, *self.debtors):
            if claimant.key == key:
                return claimant.share
        return 1


def _allocated(file: EnforcementFile, step: str, **by: Any) -> int:
    lines = DistributionLine.objects.filter(distribution__file=file, step=step, **by).exclude(
        distribution__status=Distribution.Status.CANCELLED
    )
    return int(lines.aggregate(total=Sum("amount_minor"))["total"] or 0)


def _links(file: EnforcementFile, role: str) -> list[FileParty]:
    return list(file.file_parties.filter(role=role).select_related("party").order_by("pk"))


def applicants_of(file: EnforcementFile) -> list[tuple[FileParty, int, int]]:
    """(link, costs owed, claim owed) of each applicant, by the imputation rule above."""
    links = _links(file, FileParty.Role.APPLICANT)
    shares = [link.share for link in links]
    costs_due = engine.split(file.costs_minor, shares)
    claim_due = engine.split(file.claim_minor, shares)
    # Imputed in proportion to what each is owed, never above it: split by shares on its
    # own, its rounding could leave one applicant owed a unit the file no longer owes.
    elsewhere = engine.pay_owed(
        file.paid_directly_minor,
        [costs + claim for costs, claim in zip(costs_due, claim_due, strict=True)],
    )
    result = []
    for index, link in enumerate(links):
        on_costs = min(elsewhere[index], costs_due[index])
        on_claim = elsewhere[index] - on_costs
        costs_owed = costs_due[index] - on_costs - _allocated(file, "COSTS", party=link.party)
        claim_owed = claim_due[index] - on_claim - _allocated(file, "CLAIM", party=link.party)
        result.append((link, max(0, costs_owed), max(0, claim_owed)))
    return result


def plan_for(file: EnforcementFile, items: list[CustodyItem]) -> Plan:
    plan = Plan(file=file, received=[], applicants=[], creditors=[], debtors=[])
    for item in items:
        key = f"item:{item.pk}"
        plan.items[key] = item
        plan.received.append(
            engine.Received(
                key=key,
                amount=item.amount_minor,
                premium=item.premium_minor,
                vat=item.vat_minor,
                asset=f"asset:{item.asset_id}" if item.asset_id else None,
            )
        )
    for link, costs_owed, claim_owed in applicants_of(file):
        key = f"party:{link.party_id}"
        plan.payees[key] = Payee(key, link.party.name_en, party=link.party)
        plan.applicants.append(
            engine.Claimant(key=key, share=link.share, costs_owed=costs_owed, claim_owed=claim_owed)
        )
    for link in _links(file, FileParty.Role.DEBTOR):
        key = f"party:{link.party_id}"
        plan.payees[key] = Payee(key, link.party.name_en, party=link.party)
        plan.debtors.append(engine.Claimant(key=key, share=link.share))
    asset_ids = {item.asset_id for item in items if item.asset_id}
    encumbrances = Encumbrance.objects.filter(
        asset_id__in=asset_ids, kind__in=SECURED_KINDS, amount_minor__gt=0
    ).order_by("rank", "pk")
    allocated: dict[int, int] = defaultdict(int)
    for encumbrance in encumbrances:
        allocated[encumbrance.pk] = _allocated(file, "SECURED", encumbrance=encumbrance)
        key = f"encumbrance:{encumbrance.pk}"
        plan.payees[key] = Payee(key, encumbrance.holder, encumbrance=encumbrance)
        plan.creditors.append(
            engine.Claimant(
                key=key,
                owed=max(0, int(encumbrance.amount_minor or 0) - allocated[encumbrance.pk]),
                asset=f"asset:{encumbrance.asset_id}",
                rank=encumbrance.rank if encumbrance.rank is not None else 10_000,
            )
        )
    return plan


def paid_to_applicants(file: EnforcementFile) -> int:
    """What the court account has paid the file's applicants (enforcement keeps the figure)."""
    total = Disbursement.objects.filter(
        distribution__file=file, payee_kind=PayeeKind.APPLICANT, status=Disbursement.Status.PAID
    ).aggregate(total=Sum("amount_minor"))["total"]
    return int(total or 0)
