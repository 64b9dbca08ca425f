"""Actions downstream of alerts: things artguard does in the building (speakers, ...)."""

from __future__ import annotations

from artguard.actions.speaker import (
    DeterrentSpeaker,
    HttpSpeakerTransport,
    MqttSpeakerTransport,
    speaker_transport,
)

__all__ = [
    "DeterrentSpeaker",
    "HttpSpeakerTransport",
    "MqttSpeakerTransport",
    "speaker_transport",
]
