"""django-axes as the admin shows it: its app under our name, its words in our catalogue.

django-axes ships no Chinese. Its models' and admin's words are listed here for
makemessages; our catalogue (LOCALE_PATHS) comes before the app's own, so the office
reads them in its language. (A module of its own: INSTALLED_APPS imports it before
the models are ready.)
"""

from axes.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class LoginProtectionConfig(AppConfig):
    verbose_name = _("Sign-in protection")


AXES_WORDS = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
]
