import pytest

from containers import services as container_services
from containers.models import Container, Kind, Status

pytestmark = [
    pytest.mark.lxd,
    pytest.mark.usefixtures("lxd_cleanup"),
    pytest.mark.django_db(transaction=True),
]


def test_open_terminal_creates_sandbox(client, student):
    client.force_login(student)

    response = client.post("/lessons/terminal/", HTTP_HX_REQUEST="true")

    sandbox = Container.objects.get(owner=student, kind=Kind.SANDBOX)
    assert sandbox.status == Status.RUNNING
    assert f'data-container-id="{sandbox.pk}"' in response.text


def test_open_terminal_starts_stopped_sandbox(client, student):
    sandbox = container_services.create_container(owner=student, kind=Kind.SANDBOX)
    container_services.stop_container(sandbox)
    client.force_login(student)

    response = client.post("/lessons/terminal/", HTTP_HX_REQUEST="true")

    sandbox.refresh_from_db()
    assert sandbox.status == Status.RUNNING
    assert f'data-container-id="{sandbox.pk}"' in response.text
    assert Container.objects.filter(owner=student).count() == 1
