"""The Celery application: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

app = Celery("liaison")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def send_or_false(task, args: tuple = ()) -> bool:
    """Queue `task` now or report that the broker is down; never waits, never raises.

    Web requests call this after their commit: kombu's connection retries would hold
    the request for seconds, so they are off, and the caller decides what to do
    instead (leave an outbox row for the requeue task, or do the work in-process).
    """
    import logging

    options = {**(app.conf.broker_transport_options or {}), "max_retries": 0}
    try:
        with app.connection_for_write(transport_options=options) as connection:
            task.apply_async(args, connection=connection, retry=False)
    except Exception as error:
        logging.getLogger(__name__).warning("could not queue %s: %s", task.name, error)
        return False
    return True


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


# A task queued while a request runs carries the request's id, so the worker's log lines
# for it can be found from the request's (liaison.logs adds the task's id to them too).
REQUEST_ID_HEADER = "liaison_request_id"


@before_task_publish.connect
def _send_request_id(headers=None, **kwargs) -> None:
    from .logs import request_id_var

    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect
def _take_request_id(task=None, **kwargs) -> None:
    from .logs import request_id_var

    request = getattr(task, "request", None)
    if request is None:
        return
    request_id = getattr(request, REQUEST_ID_HEADER, None) or (
        getattr(request, "headers", None) or {}
    ).get(REQUEST_ID_HEADER)
    if request_id:
        request._liaison_request_token = request_id_var.set(request_id)


@task_postrun.connect
def _drop_request_id(task=None, **kwargs) -> None:
    from .logs import request_id_var

    token = getattr(getattr(task, "request", None), "_liaison_request_token", None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (eager tasks run in the caller's)
            request_id_var.set(None)
