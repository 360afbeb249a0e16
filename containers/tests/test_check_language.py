"""check_language: which LABSITE_LANG the checks of a student's work get."""

import pytest
from django.utils import translation

from accounts.models import User
from containers.checks import check_language


def user(pk, preferred_language=""):
    return User(pk=pk, username=f"user{pk}", preferred_language=preferred_language)


@pytest.mark.parametrize(
    ("active", "preferred", "expected"),
    [
        ("uz", "ru", "uz"),
        ("ru", "", "ru"),
        ("en", "uz", "en"),
        ("fr", "ru", "ru"),
        ("fr", "", "en"),
        ("ru-ru", "", "ru"),
    ],
)
def test_owner_request_uses_active_language(active, preferred, expected):
    student = user(1, preferred)

    with translation.override(active):
        assert check_language(student, requester=student) == expected


@pytest.mark.parametrize(
    ("preferred", "expected"), [("uz", "uz"), ("ru", "ru"), ("", "en"), ("kk", "en")]
)
def test_others_get_preferred_language(preferred, expected):
    student = user(1, preferred)

    with translation.override("ru"):
        assert check_language(student, requester=user(2)) == expected
        assert check_language(student) == expected
