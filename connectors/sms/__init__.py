"""SMS: `SmsSender` interface, the Twilio implementation and a wire-level fake Twilio server."""

from connectors.sms.base import InvalidPhoneNumber, SmsError, SmsSender

__all__ = ["InvalidPhoneNumber", "SmsError", "SmsSender"]
