import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_create_first_admin_prints_working_password():
    output = StringIO()

    call_command("create_first_admin", stdout=output)

    password = re.search(r"with the password (\S+)", output.getvalue()).group(1)
    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN
    assert admin.check_password(password)


def test_create_first_admin_second_run_does_nothing():
    call_command("create_first_admin", stdout=StringIO())
    output = StringIO()

    call_command("create_first_admin", stdout=output)

    assert "no account was created" in output.getvalue()
    assert "password" not in output.getvalue()
    assert User.objects.count() == 1
