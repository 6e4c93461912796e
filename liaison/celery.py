"""The Celery application: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

app = Celery("liaison")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_filesystem_broker_folders() -> None:
    """The file-system broker (the embedded default) needs its folders to exist."""
    from django.conf import settings

    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
            os.makedirs(options[key], exist_ok=True)


@app.on_configure.connect
def _on_configure(sender, **kwargs) -> None:
    _ensure_filesystem_broker_folders()
