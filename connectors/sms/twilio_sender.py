"""SMS through Twilio's Messages API, with the official `twilio` client.

`base_url` points the client at another Twilio-compatible host (the bundled fake server in tests
and in the demo): the client's `api` domain carries its base URL, everything else — auth, form
encoding, error parsing — is the real client doing real HTTP.
"""

from __future__ import annotations

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from connectors.sms.base import InvalidPhoneNumber, SmsError
from connectors.sms.idempotency import IdempotencyStore, MemoryIdempotencyStore

INVALID_TO = 21211
MAX_BODY = 1600  # characters: Twilio refuses longer bodies (error 21617)


class TwilioSmsSender:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        base_url: str | None = None,
        store: IdempotencyStore | None = None,
    ) -> None:
        self.client = Client(account_sid, auth_token)
        if base_url:
            self.client.api.base_url = base_url.rstrip("/")
        self.from_number = from_number
        self.store = store or MemoryIdempotencyStore()

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        already = self.store.get(idempotency_key)
        if already:
            return already
        if len(body) > MAX_BODY:
            raise SmsError(
                f"SMS trop long : {len(body)} caractères, {MAX_BODY} au plus ; rien n'est envoyé.",
                f"SMS too long: {len(body)} characters, at most {MAX_BODY}; nothing is sent.",
            )
        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            if exc.code == INVALID_TO:
                raise InvalidPhoneNumber(
                    f"Numéro de téléphone refusé par le fournisseur SMS : {to}.",
                    f"Phone number rejected by the SMS provider: {to}.",
                ) from exc
            raise SmsError(
                f"Le fournisseur SMS a refusé l'envoi (code {exc.code}, HTTP {exc.status}).",
                f"The SMS provider refused the message (code {exc.code}, HTTP {exc.status}).",
            ) from exc
        except (TwilioException, OSError) as exc:
            raise SmsError(
                "Le fournisseur SMS est injoignable ; réessayez.",
                "The SMS provider cannot be reached; try again.",
            ) from exc
        sid = str(message.sid)
        self.store.put(idempotency_key, sid)
        return sid
