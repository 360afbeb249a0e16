import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError

from accounts.models import Role, User
from conftest import make_user

pytestmark = pytest.mark.django_db


def test_instructors_group_created_by_migration():
    assert Group.objects.filter(name="Instructors").exists()


@pytest.mark.parametrize(
    ("role", "staff", "superuser", "in_group"),
    [
        (Role.STUDENT, False, False, False),
        (Role.INSTRUCTOR, True, False, True),
        (Role.ADMIN, True, True, False),
    ],
)
def test_role_sets_flags(role, staff, superuser, in_group):
    user = make_user("someone", role=role)

    assert user.is_staff is staff
    assert user.is_superuser is superuser
    assert user.groups.filter(name="Instructors").exists() is in_group


def test_role_change_updates_flags_and_group():
    user = make_user("someone", role=Role.INSTRUCTOR)

    user.role = Role.STUDENT
    user.save()

    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.filter(name="Instructors").exists()


def test_createsuperuser_makes_admin_role():
    call_command(
        "createsuperuser",
        "--noinput",
        "--username=root",
        "--email=root@example.test",
        verbosity=0,
    )

    user = User.objects.get(username="root")
    assert user.role == Role.ADMIN
    assert user.is_superuser


def test_email_stored_lowercase():
    user = make_user("Mixed")
    user.email = "  Mixed.Case@Example.TEST "
    user.save()

    user.refresh_from_db()
    assert user.email == "mixed.case@example.test"


def test_username_unique_at_database_level():
    make_user("twin")
    with pytest.raises(IntegrityError):
        User.objects.create(username="twin", email="other@example.test")
