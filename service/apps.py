from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service to enterprises")

    def ready(self) -> None:
        # Commissioners are told of their enterprises' problems and may raise problems
        # from a visit: issues builds below service, so service registers it here.
        from .hooks import register

        register()
