"""Create the demo administrator once and print its password once."""

import secrets

from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = "Create the 'admin' superuser with a random password, printed once; does nothing if it exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@example.com")

    def handle(self, *args, username, email, **options):
        if User.objects.filter(username=username).exists():
            self.stderr.write(f"Admin '{username}' already exists; its password was printed when it was created.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(f"Demo admin created: username={username} password={password}")
