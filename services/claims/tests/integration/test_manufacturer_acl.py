"""The manufacturer is an outside party on our Kafka: its own SASL/SCRAM listener and ACLs let it read
oem.warranty-claims and write oem.warranty-decisions, nothing else. A throwaway broker of our own
(deploy/kafka/kafka.sh start --manufacturer), always stopped."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError
from shared.contracts import claims as oem
from shared.contracts.crm import CUSTOMERS
from shared.messaging.envelope import Envelope, Tenant

from tests.support.kafka import header, publish, read_topic

ROOT = Path(__file__).resolve().parents[4]
KAFKA = str(ROOT / "deploy/kafka/kafka.sh")
USER, PASSWORD = "manufacturer", f"pw-{uuid.uuid4().hex[:8]}"
_spec = importlib.util.spec_from_file_location("manufacturer_simulator", ROOT / "deploy/manufacturer_simulator.py")
simulator = sys.modules.setdefault("manufacturer_simulator", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(simulator)


def _free_port_block() -> int:
    """A port p with p, p+1 and p+10 free (below the ephemeral range)."""
    for base in range(29600, 29900, 20):
        ok = True
        for p in (base, base + 1, base + 10):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", p)) == 0:
                    ok = False
        if ok:
            return base
    raise RuntimeError("no free ports")


@pytest.fixture(scope="module")
def secured_broker(tmp_path_factory):
    port = _free_port_block()
    env = {**os.environ, "KAFKA_STATE_DIR": str(ROOT / ".local" / f"test-claims-sasl-{uuid.uuid4().hex[:6]}"),
           "KAFKA_PORT": str(port), "MANUFACTURER_KAFKA_PASSWORD": PASSWORD}
    try:
        done = subprocess.run(["bash", KAFKA, "start", "--fresh", "--manufacturer"], env=env, capture_output=True,
                              text=True, timeout=240)
        assert done.returncode == 0, f"kafka.sh start failed:\n{done.stderr[-3000:]}"
        yield f"127.0.0.1:{port}", f"127.0.0.1:{port + 10}"
    finally:
        subprocess.run(["bash", KAFKA, "stop"], env=env, capture_output=True, timeout=120)
        subprocess.run(["rm", "-rf", env["KAFKA_STATE_DIR"]], check=False)


def credentials(bootstrap: str, password: str = PASSWORD) -> dict:
    args = simulator.parse(["--bootstrap", bootstrap, "--username", USER, "--password", password])
    return dict(bootstrap_servers=bootstrap, **simulator.kafka_security(args))


async def test_the_manufacturer_reads_claims_and_answers_and_nothing_else(secured_broker):
    internal, external = secured_broker
    # the simulator, with the manufacturer's credentials on its listener, answers a claim
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "deploy/manufacturer_simulator.py"), "--bootstrap", external, "--username", USER,
        "--password", PASSWORD, "--group", "manufacturer.simulator", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    try:
        producer = AIOKafkaProducer(bootstrap_servers=internal)
        await producer.start()
        claim = oem.OemWarrantyClaimSubmittedV2(
            claim_number=f"WC-{uuid.uuid4().hex[:8]}", submission=1, dealer_code="s-1", vin="LSVAU2180N2183294",
            repair_date=date(2026, 12, 1), odometer_km=1000, labour_amount=Decimal(1), parts_amount=Decimal(0),
            amount=Decimal(1), lines=[oem.OemClaimLine(line_no=1, failure="leak", labour_hours=Decimal(1),
                                                       labour_amount=Decimal(1), parts_amount=Decimal(0),
                                                       amount=Decimal(1))])
        await publish(producer, Envelope.new(claim, source="claims", tenant=Tenant("dg", "s-1")))
        await producer.stop()
        answers = await read_topic(internal, oem.OEM_DECISIONS, timeout=90,
                                   until=lambda rs: any(r.key == claim.claim_number.encode() for r in rs))
        assert [header(r, "ce_type") for r in answers if r.key == claim.claim_number.encode()] == [
            "oem.WarrantyClaimDecided.v2"]
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 20)

    # ... and is refused everywhere else: reading crm.customers, producing to any other topic
    consumer = AIOKafkaConsumer(CUSTOMERS, group_id="manufacturer.snoop", auto_offset_reset="earliest",
                                **credentials(external))
    try:
        with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
            await consumer.start()
            await consumer.getmany(timeout_ms=5000)
            await consumer.getone()
    finally:
        await consumer.stop()
    producer = AIOKafkaProducer(enable_idempotence=False, request_timeout_ms=10000, **credentials(external))
    await producer.start()
    try:
        for topic in (oem.WARRANTY, CUSTOMERS, oem.OEM_CLAIMS):
            with pytest.raises((TopicAuthorizationFailedError, KafkaError)):
                await asyncio.wait_for(producer.send_and_wait(topic, b"{}"), 20)
    finally:
        await producer.stop()


async def test_wrong_credentials_do_not_connect(secured_broker):
    _, external = secured_broker
    producer = AIOKafkaProducer(**credentials(external, password="wrong"))
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.start(), 30)
    await producer.stop()


def test_the_launcher_starts_and_stops_the_simulator_on_the_sasl_listener(secured_broker, tmp_path):
    """`./run start`'s path: deploy/launcher.py runs the simulator as a managed process (pid file, log,
    status) with the manufacturer's credentials on its own listener, and stops it by pid."""
    sys.path.insert(0, str(ROOT))
    from deploy.launcher import SIMULATOR, Platform

    internal, external = secured_broker
    p = Platform(kafka_bootstrap=internal, state_dir=tmp_path, simulator=True, manufacturer_password=PASSWORD,
                 simulator_args=("--group", f"manufacturer.launcher-{uuid.uuid4().hex[:6]}", "--from-latest"))
    assert p.sasl_bootstrap() == external
    try:
        p.start_simulator(timeout=90)
        pid = p.running(SIMULATOR)
        assert pid and p.status()[SIMULATOR].startswith(f"pid {pid}, Kafka SASL {external}")
        p.start_simulator()  # a second start finds it running
        assert p.running(SIMULATOR) == pid
    finally:
        p.stop((SIMULATOR,))
    assert p.running(SIMULATOR) is None and not p.pid_file(SIMULATOR).exists()
    assert "manufacturer-simulator: ready" in p.log_file(SIMULATOR).read_text()
    # wrong credentials: the start fails with the log's tail, and leaves no pid file behind
    bad = Platform(kafka_bootstrap=internal, state_dir=tmp_path / "bad", simulator=True,
                   manufacturer_password="wrong")
    with pytest.raises(RuntimeError, match="exited during start-up"):
        bad.start_simulator(timeout=90)
    assert not bad.pid_file(SIMULATOR).exists()
