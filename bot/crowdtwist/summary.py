"""The member summary: a points balance for the card, with the main host's refusals remembered.

:class:`MemberSummaries` never raises for CrowdTwist's sake: every outcome is a
:class:`MemberSummary` a card can show. A refused key (401/403) is logged once as an ERROR
naming the host, then no call is made for a cooldown; an id type the endpoint refuses (its
documented list has no ``email``) is remembered per id type for the TTL, so it costs one call.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType, MemberPoints

__all__ = ["REFUSED_KEY_COOLDOWN_SECONDS", "MemberSummaries", "MemberSummary", "SummaryState"]

log = logging.getLogger(__name__)

REFUSED_KEY_COOLDOWN_SECONDS = 300.0
"""How long no main-host call is made after the host refused the key."""
_ID_TYPE_WORDS = re.compile(r"id[ _-]?type", re.IGNORECASE)


class SummaryState(StrEnum):
    """What the card's points line says."""

    SHOWN = "shown"
    """The balance, as CrowdTwist sent it."""
    UNAVAILABLE = "unavailable"
    """Failed or late: "Points balance unavailable right now"."""
    ID_TYPE_REFUSED = "id_type_refused"
    """The endpoint does not take this kind of id: the line says so and what to try."""
    OFF = "off"
    """No line at all: the feature is off, or the key is refused (an operator matter)."""


@dataclass(frozen=True, slots=True)
class MemberSummary:
    """One member's summary as a card shows it; ``points`` only when :attr:`state` is SHOWN."""

    state: SummaryState
    id_type: IdType = IdType.ID
    points: MemberPoints | None = None

    @property
    def shown(self) -> bool:
        return self.state is SummaryState.SHOWN and self.points is not None


OFF = MemberSummary(SummaryState.OFF)


class MemberSummaries:
    """User Points through the client, its refusals remembered (one per process)."""

    def __init__(
        self,
        client: CrowdTwistClient,
        *,
        ttl_seconds: float,
        cooldown_seconds: float = REFUSED_KEY_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._key_refused_until = 0.0
        self._refused_id_types: dict[IdType, float] = {}

    @property
    def host(self) -> str | None:
        """The main host's origin (never carries the key)."""
        return self._client.main_url

    async def fetch(self, member: str, id_type: IdType) -> MemberSummary:
        """The member's summary; the client's cache, coalescing and retries apply."""
        now = self._clock()
        if self.host is None or now < self._key_refused_until:
            return OFF
        if self._refused_id_types.get(id_type, 0.0) > now:
            return MemberSummary(SummaryState.ID_TYPE_REFUSED, id_type)
        try:
            points = await self._client.member_points(member, id_type)
        except CrowdTwistError as error:
            return self._failed(error, id_type)
        return MemberSummary(SummaryState.SHOWN, id_type, points)

    def _failed(self, error: CrowdTwistError, id_type: IdType) -> MemberSummary:
        now = self._clock()
        if error.kind is ErrorKind.UNAUTHORIZED:
            if now >= self._key_refused_until:
                self._key_refused_until = now + self._cooldown
                log.error(
                    "CROWDTWIST_API_KEY was refused by the main host %s (HTTP %s): no points "
                    "balances for %.0f s; check the key's access to User Points",
                    self.host,
                    error.status,
                    self._cooldown,
                )
            return OFF
        if error.kind is ErrorKind.INVALID_INPUT and _refuses_id_type(error, id_type):
            self._refused_id_types[id_type] = now + max(self._ttl, 1.0)
            log.info(
                "crowdtwist points: the main host refused id_type=%s (%s); "
                "not asked again for %.0f s",
                id_type.value,
                error.detail,
                max(self._ttl, 1.0),
            )
            return MemberSummary(SummaryState.ID_TYPE_REFUSED, id_type)
        log.warning("crowdtwist points failed: kind=%s detail=%s", error.kind.value, error.detail)
        return MemberSummary(SummaryState.UNAVAILABLE, id_type)


def _refuses_id_type(error: CrowdTwistError, id_type: IdType) -> bool:
    """A 400 about the id type, or any 400 for ``email``: the endpoint's documented
    ``id_type`` list does not name it."""
    said = f"{error.reason or ''} {error.detail}"
    return id_type is IdType.EMAIL or bool(_ID_TYPE_WORDS.search(said))
