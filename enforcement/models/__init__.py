"""Enforcement records: courts, agencies, parties, files, orders, assets and letters."""

from enforcement.models.assets import (
    Appraisal,
    AssetDocument,
    AssetImport,
    AssetPhoto,
    Encumbrance,
    SeizedAsset,
)
from enforcement.models.court import CURRENCIES, Agency, Court, validate_time_zone
from enforcement.models.files import (
    EnforcementFile,
    EnforcementRequest,
    FileParty,
    InstrumentKind,
    Party,
)
from enforcement.models.letters import AgencyLetter, ApiToken
from enforcement.models.orders import SeizureOrder

__all__ = [
    "CURRENCIES",
    "Agency",
    "AgencyLetter",
    "ApiToken",
    "Appraisal",
    "AssetDocument",
    "AssetImport",
    "AssetPhoto",
    "Court",
    "Encumbrance",
    "EnforcementFile",
    "EnforcementRequest",
    "FileParty",
    "InstrumentKind",
    "Party",
    "SeizedAsset",
    "SeizureOrder",
    "validate_time_zone",
]
