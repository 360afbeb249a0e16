"""Sandbox API and page against the real local LXD.

The views run LXD work in worker threads with their own database
connections, so these tests commit their rows (transactional_db).
"""

import pytest

from conftest import bearer
from containers import lxd
from containers.models import Container, Status, name_prefix

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.usefixtures("lxd_cleanup"),
    pytest.mark.django_db(transaction=True),
]

CREATE = "/api/containers/create"
SANDBOX = "/api/containers/sandbox"


def container_url(container_id):
    return f"/api/containers/{container_id}"


def test_create_sandbox_then_return_existing(student):
    client = bearer(student)

    created = client.post(CREATE)
    again = client.post(CREATE)

    assert created.status_code == 201
    body = created.json()
    assert body["kind"] == "sandbox"
    assert body["status"] == "running"
    assert body["name"].startswith(name_prefix())
    assert "ip_address" not in body
    assert "host_key" not in body
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Container.objects.filter(owner=student).count() == 1
    assert client.get(SANDBOX).json()["id"] == body["id"]


def test_get_sandbox_when_none(student):
    response = bearer(student).get(SANDBOX)

    assert response.status_code == 404
    assert response.json() == {
        "detail": "You have no sandbox. Create one with POST /api/containers/create.",
        "code": "not_found",
    }


def test_sandbox_endpoints_need_token(api, db):
    assert api.post(CREATE).status_code == 401
    assert api.get(SANDBOX).status_code == 401
    assert api.delete(container_url(1)).status_code == 401


def test_delete_by_owner(student):
    client = bearer(student)
    sandbox = client.post(CREATE).json()

    response = client.delete(container_url(sandbox["id"]))

    assert response.status_code == 204
    assert Container.objects.get(pk=sandbox["id"]).status == Status.DELETED
    assert not lxd.instance_exists(sandbox["name"])
    assert client.get(SANDBOX).status_code == 404


def test_delete_foreign_container_is_404(student, other_student, instructor):
    sandbox = bearer(student).post(CREATE).json()

    for intruder in (other_student, instructor):
        response = bearer(intruder).delete(container_url(sandbox["id"]))

        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert bearer(student).delete(container_url(999_999)).status_code == 404
    assert lxd.instance_exists(sandbox["name"])


def test_admin_deletes_any_container(student, admin_user):
    sandbox = bearer(student).post(CREATE).json()

    response = bearer(admin_user).delete(container_url(sandbox["id"]))

    assert response.status_code == 204
    assert not lxd.instance_exists(sandbox["name"])


def test_lxd_down_gives_503_and_no_row(student, settings):
    settings.LXD_ENDPOINT = "https://127.0.0.1:1"
    lxd.reset_client()

    response = bearer(student).post(CREATE)

    lxd.reset_client()
    assert response.status_code == 503
    assert response.json()["code"] == "lxd_unreachable"
    assert response.json()["detail"].startswith("LXD refused the connection at https://127.0.0.1:1")
    assert not Container.objects.exists()


def test_sandbox_page_flow(client, student):
    client.force_login(student)
    htmx = {"HTTP_HX_REQUEST": "true"}

    empty = client.get("/sandbox/")
    created = client.post("/sandbox/create/", **htmx)
    sandbox = Container.objects.get(owner=student)
    stopped = client.post(f"/sandbox/{sandbox.pk}/stop/", **htmx)
    started = client.post(f"/sandbox/{sandbox.pk}/start/", **htmx)
    reset = client.post(f"/sandbox/{sandbox.pk}/reset/", **htmx)
    fresh = Container.objects.live().get(owner=student)
    deleted = client.post(f"/sandbox/{fresh.pk}/delete/", **htmx)

    assert "You have no sandbox yet." in empty.text
    assert 'data-status="running"' in created.text
    assert created.text.lstrip().startswith('<section id="sandbox-panel"')
    assert 'data-status="stopped"' in stopped.text
    assert 'data-status="running"' in started.text
    assert fresh.pk != sandbox.pk
    assert 'data-status="running"' in reset.text
    assert "You have no sandbox yet." in deleted.text
    assert not Container.objects.live().filter(owner=student).exists()


def test_sandbox_page_shows_error_in_words(client, student, settings):
    client.force_login(student)
    settings.LXD_ENDPOINT = "https://127.0.0.1:1"
    lxd.reset_client()

    response = client.post("/sandbox/create/", HTTP_HX_REQUEST="true")

    lxd.reset_client()
    assert response.status_code == 200
    assert "LXD refused the connection at https://127.0.0.1:1" in response.text
    assert "You have no sandbox yet." in response.text


def test_sandbox_page_foreign_container_is_404(client, student, other_student):
    sandbox = bearer(student).post(CREATE).json()
    client.force_login(other_student)

    for action in ("stop", "start", "reset", "delete"):
        assert client.post(f"/sandbox/{sandbox['id']}/{action}/").status_code == 404
    assert lxd.instance_exists(sandbox["name"])


def test_sandbox_page_requires_login(client, db):
    response = client.get("/sandbox/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/sandbox/"
