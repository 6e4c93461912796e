from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from celery.signals import worker_ready

        from . import checks  # registers the SMS configuration check

        worker_ready.connect(checks.log_sms_configuration_errors, weak=False)
