"""The Celery application: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

app = Celery("liaison")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_local_folders() -> None:
    """The embedded default (file-system broker and result store) needs its folders to exist."""
    from django.conf import settings

    folders = []
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        keys = ("data_folder_in", "data_folder_out", "control_folder", "processed_folder")
        folders += [options[key] for key in keys]
    if settings.CELERY_RESULT_BACKEND.startswith("file://"):
        folders.append(settings.CELERY_RESULT_BACKEND.removeprefix("file://"))
    for folder in folders:
        os.makedirs(folder, exist_ok=True)


# Sent before the configuration is read, hence Django settings rather than app.conf.
@app.on_configure.connect
def _on_configure(sender, **kwargs) -> None:
    _ensure_local_folders()
