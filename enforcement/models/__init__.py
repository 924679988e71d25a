"""Enforcement records: parties, files, orders, assets and letters."""

from enforcement.models.agencies import (
    AgencyAnswer,
    AgencyApplication,
    AgencyEndpoint,
    WebhookDelivery,
)
from enforcement.models.assets import (
    Appraisal,
    AssetDocument,
    AssetImport,
    AssetPhoto,
    Encumbrance,
    SeizedAsset,
)
from enforcement.models.files import (
    EnforcementFile,
    EnforcementRequest,
    FileParty,
    InstrumentKind,
    Party,
)
from enforcement.models.letters import AgencyLetter, ApiToken
from enforcement.models.orders import SeizureOrder, SignedOrderDocument
from enforcement.models.settlements import (
    Instalment,
    LetterFollowUp,
    Settlement,
    SettlementRules,
)

__all__ = [
    "AgencyAnswer",
    "AgencyApplication",
    "AgencyEndpoint",
    "AgencyLetter",
    "ApiToken",
    "Appraisal",
    "AssetDocument",
    "AssetImport",
    "AssetPhoto",
    "Encumbrance",
    "EnforcementFile",
    "EnforcementRequest",
    "FileParty",
    "Instalment",
    "InstrumentKind",
    "LetterFollowUp",
    "Party",
    "SeizedAsset",
    "SeizureOrder",
    "Settlement",
    "SettlementRules",
    "SignedOrderDocument",
    "WebhookDelivery",
]
