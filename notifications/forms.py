"""The office's choice on the outbox page."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Notification


class OutboxSendAgainForm(forms.Form):
    """The office's choice on the outbox page: the selected messages, or every failed one."""

    ids = forms.ModelMultipleChoiceField(
        label=_("Messages"),
        # Any e-mail or SMS: one that went out meanwhile is simply not sent again.
        queryset=Notification.objects.exclude(channel=Notification.Channel.IN_APP),
        required=False,
    )
    all_failed = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("all_failed") and not cleaned.get("ids"):
            raise ValidationError(_("Select the messages to send again."), code="none")
        return cleaned
