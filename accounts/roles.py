"""Role helpers for data migrations of the content apps."""

from django.contrib.auth.management import create_permissions

from accounts.models import INSTRUCTORS_GROUP


def grant_to_instructors(apps, app_label, codenames):
    """Give the Instructors group these permissions of app_label (in a data migration).

    Django creates permissions only after all migrations ran, so this makes
    them first, with the historical models of apps.
    """
    app_config = apps.get_app_config(app_label)
    # The migration state's app config has no models module, which makes
    # create_permissions skip it; any true value lets it proceed.
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label=app_label, codename__in=codenames
    )
    missing = set(codenames) - set(permissions.values_list("codename", flat=True))
    if missing:
        raise LookupError(f"permissions not found in {app_label}: {sorted(missing)}")
    group.permissions.add(*permissions)


def revoke_from_instructors(apps, app_label, codenames):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=INSTRUCTORS_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *group.permissions.filter(content_type__app_label=app_label, codename__in=codenames)
        )
