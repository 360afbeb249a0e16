from django.db import migrations

from accounts.roles import grant_to_instructors, revoke_from_instructors

# Instructors write labs and tasks and watch attempts.
CODENAMES = [
    f"{action}_{model}"
    for model in ("laboratory", "laboratorytask")
    for action in ("add", "change", "delete", "view")
] + ["view_laboratoryattempt", "view_laboratorytaskresult"]


def grant(apps, schema_editor):
    grant_to_instructors(apps, "labs", CODENAMES)


def revoke(apps, schema_editor):
    revoke_from_instructors(apps, "labs", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("labs", "0001_initial"),
        ("accounts", "0002_create_instructors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
