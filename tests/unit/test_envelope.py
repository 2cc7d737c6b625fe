"""The envelope is CloudEvents 1.0 binary mode: the official SDK must read what we write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from shared.contracts import EVENT_TYPES, json_schemas
from shared.contracts.crm import CustomerKind, CustomerRegistered
from shared.messaging.envelope import Envelope, Tenant, UndecodableMessage

EVENT = CustomerRegistered(customer_id="c-1", kind=CustomerKind.PERSON, name="王伟", phones=["13800138000"],
                           home_store_id="s-1")


def test_official_cloudevents_sdk_reads_our_kafka_message():
    env = Envelope.new(EVENT, source="crm", tenant=Tenant("dg-1", "s-1"), correlation_id="corr-9",
                       causation_id="cause-3", time=datetime(2026, 11, 23, 8, 30, tzinfo=UTC))
    env = Envelope(**{**env.__dict__, "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
    msg = ce_kafka.KafkaMessage(headers=dict(env.headers()), key=env.subject.encode(), value=env.value())
    ce = ce_kafka.from_binary_event(msg)
    attrs = ce.get_attributes()
    assert attrs["id"] == env.id
    assert attrs["type"] == "CustomerRegistered.v1"
    assert attrs["source"] == "crm"
    assert attrs["subject"] == "c-1"
    assert attrs["specversion"] == "1.0"
    assert attrs["dealergroup"] == "dg-1" and attrs["store"] == "s-1"
    assert attrs["correlationid"] == "corr-9" and attrs["causationid"] == "cause-3"
    assert ce.get_data()["name"] == "王伟"
    assert dict(env.headers())["traceparent"].startswith(b"00-0af7")


def test_round_trip_gives_the_same_event_back():
    env = Envelope.new(EVENT, source="crm", tenant=Tenant("dg-1", "s-1"))
    back = Envelope.from_kafka(env.value(), env.headers())
    assert back.id == env.id and back.tenant == env.tenant and back.correlation_id == env.id
    assert back.event() == EVENT


@pytest.mark.parametrize("mutate, words", [
    (lambda h, v: ([x for x in h if x[0] != "ce_id"], v), "missing CloudEvents headers: ce_id"),
    (lambda h, v: (h, b"\xff\xfe"), "not JSON"),
    (lambda h, v: (h, b"[1, 2]"), "not a JSON object"),
    (lambda h, v: ([(k, b"9.9" if k == "ce_specversion" else x) for k, x in h], v), "ce_specversion"),
    (lambda h, v: ([(k, b"Nope.v1" if k == "ce_type" else x) for k, x in h], v), "unknown event type"),
    (lambda h, v: (h, b'{"customer_id": "c-1"}'), "invalid CustomerRegistered.v1 payload"),
])
def test_undecodable_messages_say_why(mutate, words):
    env = Envelope.new(EVENT, source="crm", tenant=Tenant("dg-1", "s-1"))
    headers, value = mutate(env.headers(), env.value())
    with pytest.raises(UndecodableMessage, match=words):
        Envelope.from_kafka(value, headers).event()


def test_every_event_type_is_versioned_and_has_a_schema():
    schemas = json_schemas()
    assert set(schemas) == set(EVENT_TYPES)
    for name, schema in schemas.items():
        assert name.rsplit(".v", 1)[1].isdigit(), name
        assert schema["x-key"] in schema["properties"], name
