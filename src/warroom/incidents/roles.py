"""Response roles of seed 002. Single-holder roles are replaced; SMEs accumulate."""

from __future__ import annotations

from enum import StrEnum


class ResponseRole(StrEnum):
    INCIDENT_COMMANDER = "incident_commander"
    TECH_LEAD = "tech_lead"
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"
    SME = "sme"

    @property
    def single_holder(self) -> bool:
        return self is not ResponseRole.SME

    @property
    def title(self) -> str:
        return {
            ResponseRole.INCIDENT_COMMANDER: "Incident Commander",
            ResponseRole.TECH_LEAD: "Technical Lead",
            ResponseRole.COMMS_LEAD: "Communications Lead",
            ResponseRole.SCRIBE: "Scribe",
            ResponseRole.SME: "Subject Matter Expert",
        }[self]
