"""Gunicorn settings, read from the working directory when the container runs `gunicorn`."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = 60
# A worker asked to stop (deploy, scale down) finishes the requests it has.
graceful_timeout = 30
# Heartbeat files on tmpfs: on a container's overlay file system they can stall
# and get healthy workers killed.
worker_tmp_dir = "/dev/shm"
# Workers are not recycled after a number of requests (max_requests stays 0). With
# max_requests = 1000 and a jitter of 100 the workers, which share the requests
# evenly, reached their limits within seconds of each other and restarted together:
# nothing answered meanwhile and the login page's p99 went from 0.1 s to 1 s. The app
# has no known leak to bound that way. Should one appear, set max_requests with a
# jitter of at least half of it (e.g. 5000 and 2500), so that restarts are spread out.
# The app is loaded once in the master, before the workers are forked: a worker that
# replaces one that died or timed out is ready at once, without importing Django again.
preload_app = True
# No access log of gunicorn's own: the app logs each request once (liaison.requests), with
# its id, user and timing and the query's values left out; gunicorn's line would repeat
# it with the full query string, where a search can hold a name or a phone number.
accesslog = None
