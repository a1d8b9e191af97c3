"""Kafka's own operator commands, run from the cached jars (no Kafka download needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from retailsync.broker.jars import java_executable
from retailsync.errors import BrokerError

# The scripts in Kafka's bin/ are thin wrappers around these main classes.
TOOL_CLASSES = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
}


def run_tool(libs: Path, tool: str, arguments: list[str]) -> int:
    """Run one of Kafka's tools with ``arguments``; returns its exit code."""
    main_class = TOOL_CLASSES.get(tool)
    if main_class is None:
        raise BrokerError(f"unknown tool {tool!r}; choose from {', '.join(sorted(TOOL_CLASSES))}")
    command = [
        java_executable(),
        "-Xmx256m",
        "-Dlog4j2.level=WARN",
        "-cp",
        f"{libs}/*",
        main_class,
        *arguments,
    ]
    return subprocess.run(command, check=False).returncode
