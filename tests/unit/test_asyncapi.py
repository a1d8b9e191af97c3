"""`retailsync asyncapi`: the event contracts as an AsyncAPI 3.0 document that other teams
read instead of our code, checked by the AsyncAPI Initiative's own parser."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from commands import app
from retailsync.events import load_catalogue
from retailsync.topology import load_topology
from retailsync.topology.asyncapi import asyncapi_document

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
TOPOLOGY = load_topology(ROOT / "topology.yaml")
CATALOGUE = load_catalogue(ROOT / "schemas")
VALIDATOR = ROOT / "tools" / "asyncapi" / "validate.mjs"


def _document() -> dict[str, Any]:
    return asyncapi_document(TOPOLOGY, CATALOGUE, version="1.2.3", server="kafka:9092")


def _check(document: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if not (VALIDATOR.parent / "node_modules").is_dir():
        pytest.fail("the AsyncAPI parser is not installed: run `make asyncapi-check` once")
    path = tmp_path / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return subprocess.run(
        ["node", str(VALIDATOR), str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_generated_document_is_valid_asyncapi_with_its_avro_payloads(tmp_path: Path) -> None:
    checked = _check(_document(), tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "valid AsyncAPI 3.0.0" in checked.stdout


def test_the_parser_refuses_a_document_with_a_broken_avro_payload(tmp_path: Path) -> None:
    # The check above is only worth something if the parser reads the Avro schemas too.
    document = _document()
    payload = document["components"]["messages"]["order_created_v3"]["payload"]["schema"]
    payload["fields"][0]["type"] = "not-an-avro-type"
    checked = _check(document, tmp_path)
    assert checked.returncode == 1
    assert "components.messages.order_created_v3.payload" in checked.stderr


def test_each_routed_event_is_published_on_its_topic_at_its_latest_schema_version() -> None:
    document = _document()
    for event_type, destination in TOPOLOGY.events.items():
        operation = document["operations"][f"publish_{event_type}"]
        latest = CATALOGUE.latest(event_type).version
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{destination.topic}"}
        assert operation["messages"] == [
            {"$ref": f"#/channels/{destination.topic}/messages/{event_type}_v{latest}"}
        ]
        message = document["components"]["messages"][f"{event_type}_v{latest}"]
        assert destination.key_template in message["bindings"]["kafka"]["key"]["description"]
        assert message["payload"]["schema"] == CATALOGUE.latest(event_type).definition


def test_a_consumer_group_receives_every_schema_version_its_topics_carry() -> None:
    document = _document()
    operation = document["operations"]["odoo-orders_retail.orders"]
    assert operation["action"] == "receive"
    assert operation["bindings"]["kafka"]["groupId"] == {"type": "string", "enum": ["odoo-orders"]}
    received = {ref["$ref"].rsplit("/", 1)[1] for ref in operation["messages"]}
    # order_created v1 and v2 records stay on the topic after v3 appears: readers meet them.
    assert {"order_created_v1", "order_created_v2", "order_created_v3"} <= received
    assert "inventory_adjusted_v1" not in received


def test_channels_are_the_declared_topics_with_their_kafka_settings() -> None:
    channels = _document()["channels"]
    # Retry and dead-letter topics are the runtime's own, not a contract with other teams.
    assert set(channels) == {destination.topic for destination in TOPOLOGY.events.values()}
    inventory = channels["retail.inventory"]["bindings"]["kafka"]
    assert inventory["partitions"] == TOPOLOGY.topic("retail.inventory").partitions
    assert inventory["topicConfiguration"]["cleanup.policy"] == ["compact"]
    assert inventory["topicConfiguration"]["retention.ms"] == 30 * 24 * 3600 * 1000


def test_the_command_writes_the_document_as_yaml(tmp_path: Path) -> None:
    output = tmp_path / "asyncapi.yaml"
    result = CliRunner().invoke(app, ["asyncapi", "--output", str(output)])
    assert result.exit_code == 0, result.output
    written = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert written["asyncapi"] == "3.0.0"
    assert set(written["operations"]) == set(_document()["operations"])
