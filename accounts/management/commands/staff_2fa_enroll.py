"""Give a staff account a TOTP device and print its otpauth:// URI for an authenticator app."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class Command(BaseCommand):
    help = "Enrol a staff account in two-factor authentication; prints the URI to scan (once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true", help="Replace an existing device.")

    def handle(self, *args, username, replace, **options):
        user = User.objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff account named {username!r}.")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists() and not replace:
            raise CommandError(f"{username} already has a device; use --replace to issue a new one.")
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        self.stdout.write(device.config_url)
