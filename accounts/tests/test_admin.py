import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


def test_changelist_search_by_name_and_email(client, admin_user, student, other_student):
    client.force_login(admin_user)

    by_name = client.get(CHANGELIST, {"q": "Karimova"})
    by_email = client.get(CHANGELIST, {"q": "other@example"})

    assert by_name.context["cl"].result_count == 1
    assert list(by_name.context["cl"].result_list) == [student]
    assert list(by_email.context["cl"].result_list) == [other_student]


def test_changelist_filters_and_role_column(client, admin_user, student, instructor):
    client.force_login(admin_user)

    response = client.get(CHANGELIST, {"role__exact": "instructor"})

    assert list(response.context["cl"].result_list) == [instructor]
    assert "column-role" in response.text
    assert client.get(CHANGELIST, {"is_active__exact": "0"}).context["cl"].result_count == 0


def test_deactivate_and_activate_actions(client, admin_user, student, other_student):
    client.force_login(admin_user)
    selected = [student.pk, other_student.pk]

    client.post(CHANGELIST, {"action": "deactivate_users", "_selected_action": selected})
    deactivated = User.objects.filter(pk__in=selected, is_active=False).count()
    client.post(CHANGELIST, {"action": "activate_users", "_selected_action": selected})

    assert deactivated == 2
    assert User.objects.filter(pk__in=selected, is_active=True).count() == 2


def test_admin_cannot_deactivate_self(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        CHANGELIST,
        {"action": "deactivate_users", "_selected_action": [admin_user.pk]},
        follow=True,
    )

    assert "You cannot deactivate your own account." in response.text
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_instructor_cannot_manage_users(client, instructor):
    client.force_login(instructor)

    assert client.get("/admin/").status_code == 200
    assert client.get(CHANGELIST).status_code == 403


def test_student_kept_out_of_admin(client, student):
    client.force_login(student)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
