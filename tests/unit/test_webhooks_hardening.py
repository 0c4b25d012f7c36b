"""Webhook deliveries to a hostile receiver: whatever it answers (NUL bytes, which
PostgreSQL refuses to store, a body without end, a status line of its own making), the
delivery is recorded and the next company's deliveries still go out."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from lms.audit.service import Actor
from lms.services import accounts
from lms.webhooks import delivery, events, service
from tests.unit.test_webhooks import NOW, hooks, new_person
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


class RawReceiver:
    """A receiver that answers every request with the same raw bytes."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:
                return
            with connection, contextlib.suppress(OSError):
                connection.settimeout(2)
                connection.recv(65536)
                connection.sendall(self.answer)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def raw() -> Iterator[list[RawReceiver]]:
    made: list[RawReceiver] = []
    yield made
    for receiver in made:
        receiver.close()


def endpoint_for(db, world, url, company=None):
    endpoint, secret = service.create_endpoint(
        db, Actor(world.admin), company or world.a.company, url, "HR", tuple(events.EVENTS), NOW
    )
    return endpoint, secret


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok\x00\x00\x00abc",
        b"HTTP/1.1 500 Bad\x00Thing\r\nContent-Length: 3\r\n\r\nn\x00o",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-16\r\n"
        b"Content-Length: 4\r\n\r\n\x00\x00\x00\x00",
    ],
)
def test_an_answer_with_nul_bytes_is_recorded_and_others_still_get_theirs(db, world, raw, answer):
    hostile = RawReceiver(answer)
    raw.append(hostile)
    endpoint_for(db, world, hostile.url)
    with WebhookReceiver(clock=NOW.timestamp()) as good:
        _other, secret = endpoint_for(db, world, good.url, company=world.b.company)
        good.secret = secret
        accounts.create_user(db, new_person(world.a.company), NOW)
        accounts.create_user(db, new_person(world.b.company, email="b@example.com"), NOW)
        delivery.deliver_due(db, NOW)
        db.flush()  # PostgreSQL refuses a NUL in text: this must not fail
        assert len(good.deliveries) == 1
    first, second = hooks(db)
    assert "\x00" not in (first.response_body or "") + (first.last_error or "")
    assert second.sent_at == NOW


@pytest.mark.parametrize(
    "header",
    ["t=1700000000,garbage", "t=1700000000,v1=ü", "t=1700000000,v1", ",,,", "t=ä", ""],
)
def test_the_documented_check_refuses_a_forged_header_without_crashing(header):
    from tests.webhook_receiver import verify_signature

    assert verify_signature("whsec_x", header, b"{}", now=1700000000) is False


def test_a_secret_in_the_receivers_address_stays_out_of_the_error_and_the_log(db, world, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/workflows/run?api-version=1&sig=SECRETSIG123"
    endpoint_for(db, world, url)
    accounts.create_user(db, new_person(world.a.company), NOW)
    for _ in range(10):  # every try, up to giving up
        delivery.deliver_due(db, NOW + timedelta(days=2))
    (row,) = hooks(db)
    assert row.last_error and "SECRETSIG123" not in row.last_error
    assert "SECRETSIG123" not in caplog.text
