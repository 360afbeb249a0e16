from django.db import migrations

from accounts.roles import grant_to_instructors, revoke_from_instructors

# Instructors see each theme's translations, and whether they are outdated,
# on the theme's admin page; translations come from git, so viewing is all.
CODENAMES = ["view_themetranslation"]


def grant(apps, schema_editor):
    grant_to_instructors(apps, "courses", CODENAMES)


def revoke(apps, schema_editor):
    revoke_from_instructors(apps, "courses", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_theme_translations"),
        ("accounts", "0002_create_instructors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
