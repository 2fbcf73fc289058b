"""SMS: the Twilio implementation of `signing.sessions.deps.SmsSender`, its errors, and a
wire-level fake Twilio server."""

from connectors.sms.base import InvalidPhoneNumber, SmsError

__all__ = ["InvalidPhoneNumber", "SmsError"]
