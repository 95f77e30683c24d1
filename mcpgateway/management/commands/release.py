"""`manage.py release`: what a deployment runs once per release, before starting the new processes:
the system checks (a missing or malformed secret stops the release here, not in a worker), then
the database migrations. Safe to run again; it says what it does."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Release step: system checks (errors stop it; the deploy checklist is shown), then migrations."

    def handle(self, *args, **options):
        self.stdout.write("Release: checking the configuration (manage.py check)...")
        call_command("check", fail_level="ERROR")
        # Django's deployment advice is shown, not enforced: it calls a deployment without a mail
        # server an error, while the gateway only needs mail for password resets and notices
        # (docs/deployment.md lists what to set).
        self.stdout.write("Release: Django's deployment checklist (manage.py check --deploy), for information:")
        call_command("check", deploy=True, fail_level="CRITICAL")
        self.stdout.write("Release: applying database migrations...")
        call_command("migrate", interactive=False, verbosity=1)
        self.stdout.write("Release: done. Start (or restart) the web, worker and beat processes.")
