"""The operator tools' settings: where the audit trail and the dead letters' state live."""

from __future__ import annotations

from retailsync.errors import ConfigError
from retailsync.settings import PartSettings
from retailsync.topology import Topology


class OperateSettings(PartSettings):
    """``RETAILSYNC_AUDIT_TOPIC`` and ``RETAILSYNC_DEAD_LETTER_STATE_TOPIC``."""

    # Every executed operator change, kept long and never compacted: one record per change.
    audit_topic: str = "retail.operations.audit"
    # What became of each dead letter (redriven, discarded), keyed by its DLT position;
    # compacted, so the latest state of each dead letter is all that is kept.
    dead_letter_state_topic: str = "retail.operations.dead-letters"

    def check(self, topology: Topology) -> None:
        """Raise ConfigError unless both topics are declared with the right cleanup policy."""
        for setting, topic, compacted in (
            ("RETAILSYNC_AUDIT_TOPIC", self.audit_topic, False),
            ("RETAILSYNC_DEAD_LETTER_STATE_TOPIC", self.dead_letter_state_topic, True),
        ):
            spec = topology.topics.get(topic)
            if spec is None:
                raise ConfigError("environment", setting, f"{topic!r} is not declared in topics")
            if ("compact" in spec.configs.get("cleanup.policy", "")) != compacted:
                policy = "compact" if compacted else "delete (never compact)"
                raise ConfigError(
                    topology.source, f"topics.{topic}.configs.cleanup.policy", f"must be {policy}"
                )
