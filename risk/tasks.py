"""The risk alert's email: it says only that an alert waits in the app, never who or why (no
clinical detail leaves the app in a message or a task payload: the task takes the alert id)."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse


@shared_task(acks_late=True, ignore_result=True)
def risk_alert_send(alert_id: int) -> None:
    from .models import RiskAlert

    alert = RiskAlert.objects.select_related("recipient").filter(pk=alert_id).first()
    if alert is None or alert.acknowledged_at is not None or not alert.recipient.is_active:
        return
    EmailMessage(
        subject="IPT Clinic: a risk alert needs your acknowledgement",
        body=render_to_string(
            "risk/alert_email.txt",
            {
                "recipient": alert.recipient,
                "url": settings.SITE_URL.rstrip("/") + reverse("risk:alerts"),
            },
        ),
        to=[alert.recipient.email],
    ).send()
