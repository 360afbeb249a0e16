from django.db import migrations

from accounts.roles import grant_to_instructors, revoke_from_instructors

# Instructors write exams and tasks, watch attempts, regrade them and extend
# their time; deleting attempts stays with admins.
CODENAMES = [
    f"{action}_{model}"
    for model in ("exam", "examtask")
    for action in ("add", "change", "delete", "view")
] + [
    "view_examattempt",
    "change_examattempt",
    "view_examtaskresult",
    "view_examregrade",
]


def grant(apps, schema_editor):
    grant_to_instructors(apps, "exams", CODENAMES)


def revoke(apps, schema_editor):
    revoke_from_instructors(apps, "exams", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0001_initial"),
        ("accounts", "0002_create_instructors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
