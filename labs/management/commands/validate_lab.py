from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from labs.models import Laboratory
from labs.validation import describe, validate_lab

VALIDATOR = "lab-validator"


def validator_account():
    """Return the inactive account that owns validation containers."""
    user, _created = User.objects.get_or_create(
        username=VALIDATOR,
        defaults={"email": "lab-validator@localhost", "role": Role.STUDENT, "is_active": False},
    )
    return user


class Command(BaseCommand):
    help = (
        "Validate labs in throwaway containers: every check must fail before its "
        "solution, pass after it, and still pass after a restart."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "slugs", nargs="*", help="Slugs of the labs (default: every active lab)."
        )

    def handle(self, *args, slugs, **options):
        labs = (
            Laboratory.objects.filter(slug__in=slugs)
            if slugs
            else Laboratory.objects.filter(is_active=True)
        )
        missing = set(slugs) - set(labs.values_list("slug", flat=True))
        if missing:
            raise CommandError(f"No lab with the slug {', '.join(sorted(missing))}.")

        failed = []
        for lab in labs:
            report = validate_lab(lab, owner=validator_account())
            self.stdout.write(f"Lab {lab.slug}: {'valid' if report.ok else 'INVALID'}")
            for line in describe(report):
                self.stdout.write(f"  {line}")
            if not report.ok:
                failed.append(lab.slug)

        if failed:
            raise CommandError(f"Invalid labs: {', '.join(failed)}.")
