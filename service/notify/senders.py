"""Where notifications go: the log by default, or SMTP when configured."""
from __future__ import annotations

import json
import logging
import smtplib
from email.message import EmailMessage

log = logging.getLogger("greenlist.notifications")


class LogSender:
    """Writes each notification as one JSON log line (development, or when mail is not set up)."""

    def send(self, notification) -> None:
        log.info(json.dumps({"notification": notification.idempotency_key, "kind": notification.kind,
                             "to": [r["username"] for r in notification.recipients],
                             "subject": notification.subject}, ensure_ascii=False))


class SmtpSender:
    def __init__(self, host: str, port: int, sender: str, user: str | None = None, password: str | None = None,
                 starttls: bool = True, timeout: float = 15.0):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def send(self, notification) -> None:
        addresses = [r["email"] for r in notification.recipients if r.get("email")]
        if not addresses:
            return  # nobody with an address: nothing to send, and not an error to retry
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, ", ".join(addresses), notification.subject
        # The idempotency key as Message-ID lets mail systems drop a re-sent duplicate.
        message["Message-ID"] = f"<{notification.idempotency_key.replace(':', '.')}@greenlist>"
        message.set_content(notification.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def sender_from_config(config) -> LogSender | SmtpSender:
    if config.get("GREENLIST_MAIL_SENDER", "log") == "smtp":
        return SmtpSender(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 587), config["SMTP_FROM"],
                          config.get("SMTP_USER"), config.get("SMTP_PASSWORD"),
                          str(config.get("SMTP_STARTTLS", "true")).lower() != "false")
    return LogSender()
