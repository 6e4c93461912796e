"""Gunicorn settings, read from the working directory when the container runs `gunicorn`."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = 60
# Heartbeat files on tmpfs: on a container's overlay file system they can stall
# and get healthy workers killed.
worker_tmp_dir = "/dev/shm"
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
