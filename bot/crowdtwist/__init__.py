"""The CrowdTwist POS API: typed models, one error family, and an async client."""

from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import (
    IdType,
    Purchase,
    PurchaseDetail,
    PurchaseIdType,
    PurchasePage,
)

__all__ = [
    "CrowdTwistClient",
    "CrowdTwistError",
    "ErrorKind",
    "IdType",
    "Purchase",
    "PurchaseDetail",
    "PurchaseIdType",
    "PurchasePage",
]
