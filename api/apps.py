from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API and webhooks")

    def ready(self) -> None:
        from issues import extensions

        from .webhooks.fanout import deliveries_for_events

        # The webhooks' outbox is written with every event, in its transaction.
        extensions.register_events_listener(deliveries_for_events)
