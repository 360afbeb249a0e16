from django.db import migrations

from accounts.roles import grant_to_instructors, revoke_from_instructors

# Instructors write lessons: every right on modules, sections and themes,
# and they may look at sync runs (the sync button needs change_theme).
CODENAMES = [
    f"{action}_{model}"
    for model in ("module", "section", "theme")
    for action in ("add", "change", "delete", "view")
] + ["view_lessonsync", "view_themeprogress"]


def grant(apps, schema_editor):
    grant_to_instructors(apps, "courses", CODENAMES)


def revoke(apps, schema_editor):
    revoke_from_instructors(apps, "courses", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_initial"),
        ("accounts", "0002_create_instructors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
