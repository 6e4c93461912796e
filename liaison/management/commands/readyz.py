"""/readyz without the web server: the same checks, the same JSON (docker-compose.yml's
beat health check runs it)."""

import json

from django.core.management.base import BaseCommand, CommandError

from liaison import readiness


class Command(BaseCommand):
    help = (
        "Run the readiness checks (database, broker, worker heartbeat, deadline sweep, "
        "dashboard summary); print them as JSON and exit 1 if any fails."
    )

    def handle(self, *args, **options):
        result = readiness.run_checks()
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if result["status"] != "ok":
            raise CommandError("not ready", returncode=1)
