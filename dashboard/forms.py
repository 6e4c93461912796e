"""The notification settings form."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class NotificationSettingsForm(forms.Form):
    """What a user chooses about notifications: e-mail on or off, and its language."""

    email_notifications = forms.BooleanField(
        label=_("Send me notifications by e-mail"),
        required=False,
        help_text=_("Notifications always appear under the bell, whatever you choose here."),
    )
    language = forms.ChoiceField(label=_("Language of e-mails"), choices=settings.LANGUAGES)
