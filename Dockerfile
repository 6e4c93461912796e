# The one Liaison image: docker-compose.yml runs web (gunicorn), worker and beat from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LIAISON_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/var/uploads

RUN groupadd --system --gid 1000 liaison \
    && useradd --system --uid 1000 --gid liaison --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin liaison

WORKDIR /app

# Requirements first, so that a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

# Code and collected static files stay owned by root: the app cannot rewrite
# them. Only var/ (uploads, beat schedule) is writable. The .mo catalogues are
# committed, so gettext is not needed here. The SECRET_KEY below exists only
# for this one command and is never stored in the image.
COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && mkdir -p /app/var/uploads \
    && chown -R liaison:liaison /app/var

USER liaison
EXPOSE 8000

# /healthz is exempt from the HTTPS redirect; the Host header must be one the
# site allows, so it is the first entry of ALLOWED_HOSTS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h if h not in ('', '*') else 'localhost'}), timeout=4)"]

# Settings in gunicorn.conf.py (bind 0.0.0.0:8000, WEB_CONCURRENCY workers).
CMD ["gunicorn", "liaison.wsgi"]
