from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeytasksConfig(AppConfig):
    name = "keytasks"
    verbose_name = _("Key tasks")
