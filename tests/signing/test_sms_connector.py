"""The Twilio sender (real `twilio` client, real HTTP) against the fake Twilio's wire contract."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from connectors.sms.base import InvalidPhoneNumber, SmsError
from connectors.sms.fake_twilio import FakeTwilioServer
from connectors.sms.idempotency import FileIdempotencyStore
from connectors.sms.twilio_sender import TwilioSmsSender

from .conftest import TWILIO_SID, TWILIO_TOKEN


def sender(server: FakeTwilioServer, token: str = TWILIO_TOKEN, **kwargs) -> TwilioSmsSender:
    return TwilioSmsSender(TWILIO_SID, token, "+33700000000", base_url=server.base_url, **kwargs)


def test_message_is_created_and_lands_in_the_outbox(fake_twilio) -> None:
    sid = sender(fake_twilio).send("+33611111111", "Votre code : 123456", "key-created")
    assert sid.startswith("SM") and len(sid) == 34
    [message] = [m for m in httpx.get(f"{fake_twilio.base_url}/_outbox").json() if m["sid"] == sid]
    assert message["to"] == "+33611111111" and message["from"] == "+33700000000"
    assert message["status"] == "queued" and message["body"] == "Votre code : 123456"
    assert message["uri"].endswith(f"/Messages/{sid}.json")


def test_same_idempotency_key_never_sends_twice(fake_twilio) -> None:
    sms = sender(fake_twilio)
    before = len(httpx.get(f"{fake_twilio.base_url}/_outbox").json())
    first = sms.send("+33622222222", "un", "key-once")
    assert sms.send("+33622222222", "deux", "key-once") == first
    assert len(httpx.get(f"{fake_twilio.base_url}/_outbox").json()) == before + 1


def test_idempotency_survives_a_restart_with_the_file_store(fake_twilio, tmp_path) -> None:
    store_path = tmp_path / "sms-keys.json"
    first = sender(fake_twilio, store=FileIdempotencyStore(store_path)).send(
        "+33633333333", "x", "key-file"
    )
    again = sender(fake_twilio, store=FileIdempotencyStore(store_path)).send(
        "+33633333333", "x", "key-file"
    )
    assert first == again


def test_bad_credentials_are_refused_with_401(fake_twilio) -> None:
    with pytest.raises(SmsError) as refused:
        sender(fake_twilio, token="wrong").send("+33611111111", "x", "key-401")
    assert "20003" in refused.value.en and "401" in refused.value.en


def test_invalid_number_is_error_21211(fake_twilio) -> None:
    with pytest.raises(InvalidPhoneNumber):
        sender(fake_twilio).send("+331234", "x", "key-21211")


def test_wire_contract_raw(fake_twilio) -> None:
    """What the fake answers on the wire, independent of the client library."""
    url = f"{fake_twilio.base_url}/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    auth = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    ok = httpx.post(
        url,
        data={"To": "+33644444444", "From": "+33700000000", "Body": "b"},
        headers={"Authorization": auth},
    )
    assert ok.status_code == 201 and ok.json()["account_sid"] == TWILIO_SID
    bad = httpx.post(
        url,
        data={"To": "abc", "From": "+33700000000", "Body": "b"},
        headers={"Authorization": auth},
    )
    assert bad.status_code == 400 and bad.json()["code"] == 21211
    unauth = httpx.post(url, data={"To": "+33644444444", "Body": "b"})
    assert unauth.status_code == 401 and unauth.json()["code"] == 20003


def test_unreachable_provider(tmp_path) -> None:
    server = FakeTwilioServer(TWILIO_SID, TWILIO_TOKEN, outbox_file=tmp_path / "sms.json")
    with server:
        sender(server).send("+33655555555", "persisted", "key-persist")
    assert json.loads((tmp_path / "sms.json").read_text())[0]["body"] == "persisted"
    with pytest.raises(SmsError):
        sender(server).send("+33655555555", "x", "key-down")  # the server is stopped


def test_a_body_over_twilios_1600_characters_is_refused(fake_twilio) -> None:
    """Twilio refuses a body over 1,600 characters (error 21617); so do the fake and the sender,
    before any request (nothing is sent, the key stays free)."""
    with pytest.raises(SmsError, match="1600"):
        sender(fake_twilio).send("+33611111111", "x" * 1601, "key-too-long")
    form = {"To": "+33611111111", "From": "+33700000000", "Body": "y" * 1601}
    auth = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    answer = httpx.post(f"{fake_twilio.base_url}/2010-04-01/Accounts/{TWILIO_SID}/Messages.json",
                        data=form, headers={"Authorization": f"Basic {auth}"})
    assert answer.status_code == 400 and answer.json()["code"] == 21617
    bodies = [m["body"] for m in httpx.get(f"{fake_twilio.base_url}/_outbox").json()]
    assert not any(len(b) > 1600 for b in bodies)
