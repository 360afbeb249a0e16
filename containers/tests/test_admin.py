import json

import pytest

from containers.models import Container, Kind, Status, TerminalRecording

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording(student, settings, tmp_path):
    settings.RECORDINGS_ROOT = str(tmp_path)
    container = Container.objects.create(
        owner=student, kind=Kind.EXAM, image="labsite/debian-12", status=Status.DELETED
    )
    recording = TerminalRecording.objects.create(container=container, path="exam/one.cast")
    (tmp_path / "exam").mkdir()
    header = {"version": 2, "width": 80, "height": 24}
    (tmp_path / "exam" / "one.cast").write_text(
        json.dumps(header) + "\n" + json.dumps([0.5, "o", "hello\r\n"]) + "\n"
    )
    return recording


def test_instructor_replays_recording(client, instructor, recording):
    client.force_login(instructor)

    listing = client.get("/admin/containers/terminalrecording/")
    page = client.get(f"/admin/containers/terminalrecording/{recording.pk}/replay/")
    cast = client.get(f"/admin/containers/terminalrecording/{recording.pk}/cast/")

    assert listing.status_code == 200
    assert page.status_code == 200
    assert f'data-cast-url="/admin/containers/terminalrecording/{recording.pk}/cast/"' in page.text
    assert "vendor/asciinema-player/asciinema-player.min.js" in page.text
    assert "'wasm-unsafe-eval'" in page["Content-Security-Policy"]
    assert "'wasm-unsafe-eval'" not in listing["Content-Security-Policy"]
    assert cast.status_code == 200
    assert cast["Content-Type"] == "application/x-asciicast"
    assert b'"hello\\r\\n"' in b"".join(cast.streaming_content)


def test_student_cannot_replay(client, student, recording):
    client.force_login(student)

    response = client.get(f"/admin/containers/terminalrecording/{recording.pk}/cast/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_missing_recording_file_is_404(client, admin_user, recording, tmp_path):
    (tmp_path / "exam" / "one.cast").unlink()
    client.force_login(admin_user)

    response = client.get(f"/admin/containers/terminalrecording/{recording.pk}/cast/")

    assert response.status_code == 404


def test_instructor_sees_containers_but_cannot_act(client, instructor, student):
    Container.objects.create(owner=student, kind=Kind.SANDBOX, image="labsite/debian-12")
    client.force_login(instructor)

    response = client.get("/admin/containers/container/")

    assert response.status_code == 200
    assert "stop_containers" not in response.text
    assert "delete_containers" not in response.text


def test_admin_sees_container_actions(client, admin_user, student):
    Container.objects.create(owner=student, kind=Kind.SANDBOX, image="labsite/debian-12")
    client.force_login(admin_user)

    response = client.get("/admin/containers/container/")

    assert "stop_containers" in response.text
    assert "delete_containers" in response.text
