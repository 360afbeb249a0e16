import secrets

from django.core.management.base import BaseCommand

from accounts import services
from accounts.models import Role, User


class Command(BaseCommand):
    help = (
        "Create an admin account with a generated password when no admin exists yet, "
        "and print the password once. Does nothing when an admin exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help="Username of the new admin.")
        parser.add_argument(
            "--email", default="admin@localhost", help="Email address of the new admin."
        )

    def handle(self, *args, username, email, **options):
        if User.objects.filter(role=Role.ADMIN).exists():
            self.stdout.write("An admin account exists already; no account was created.")
            return

        password = secrets.token_urlsafe(12)
        services.register_user(username=username, email=email, password=password, role=Role.ADMIN)

        self.stdout.write(
            self.style.SUCCESS(
                f"Created the admin account {username!r} with the password {password}\n"
                "It is shown only this once: write it down or change it after signing in."
            )
        )
