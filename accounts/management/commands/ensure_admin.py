"""First-run set-up: create an admin account if there is none, and say how to sign in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the first admin account (username 'admin', random password) if no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password-file", default=str(settings.VAR_DIR / "initial-admin-password.txt"))

    def handle(self, *args, username: str, password_file: str, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin account exists already.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        with open(password_file, "w", opener=lambda path, flags: __import__("os").open(path, flags, 0o600)) as fh:
            fh.write(f"{username}\n{password}\n")
        self.stdout.write(self.style.SUCCESS(f"Created the first admin account: username '{username}', password '{password}'"))
        self.stdout.write(f"(also kept in {password_file}; change it after signing in, then delete that file)")
