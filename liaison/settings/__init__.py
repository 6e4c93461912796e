"""Settings, all read from the environment (12-factor), in five parts by job, read in
this order into this one module (DJANGO_SETTINGS_MODULE=liaison.settings); a part may
use the names of the parts before it (each imports what it uses from base, the core):

- base: paths, the environment, the secret key, apps, middleware, the database,
  passwords, sessions, languages, static and uploaded files;
- services: the cache, Celery and its beat schedule, the outbox, webhooks, the audit
  trail's retention, e-mail and text messages;
- access: proxies, login protection, the published lists, the REST API;
- security: cookies, framing, the Content-Security-Policy, HTTPS;
- observability: logs and error reports (last: Sentry starts with everything set).
"""

from .access import *  # noqa: F403
from .base import *  # noqa: F403

# Private to base, but upper-case: Django's settings object had them as before the split.
from .base import _DEV_SECRET_KEY, _LOCAL_HOSTS  # noqa: F401
from .observability import *  # noqa: F403
from .security import *  # noqa: F403
from .services import *  # noqa: F403
