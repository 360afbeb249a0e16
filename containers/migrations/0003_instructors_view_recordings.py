from django.db import migrations

from accounts.roles import grant_to_instructors, revoke_from_instructors

# Instructors watch containers and replay exam terminals; they change neither.
CODENAMES = ["view_container", "view_terminalrecording"]


def grant(apps, schema_editor):
    grant_to_instructors(apps, "containers", CODENAMES)


def revoke(apps, schema_editor):
    revoke_from_instructors(apps, "containers", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("containers", "0002_terminal_recording"),
        ("accounts", "0002_create_instructors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
