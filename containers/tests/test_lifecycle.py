"""Container lifecycle against the real local LXD and real SSH."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from containers import lxd, services, upkeep
from containers.errors import LXDError, LXDNotFound, LXDUnreachable, SSHHostKeyMismatch
from containers.models import Container, Kind, Status, name_prefix

pytestmark = [pytest.mark.lxd, pytest.mark.usefixtures("lxd_cleanup")]


def run(container, command, user="student"):
    with services.connect(container, user=user) as connection:
        return connection.run(command, timeout=15, max_output=100_000)


@pytest.mark.django_db
def test_create_container_then_shell_then_delete(student):
    container = services.create_container(owner=student, kind=Kind.SANDBOX)

    assert container.status == Status.RUNNING
    assert container.name.startswith(name_prefix())
    assert "student" not in container.name
    assert container.host_key.startswith("ssh-ed25519 ")
    assert [event.status for event in container.events.all()] == ["creating", "running"]
    result = run(container, "id -un; id -u; sudo -n true && echo sudo-ok")
    assert result.exit_status == 0
    assert result.stdout == b"student\n1000\nsudo-ok\n"
    assert run(container, "id -u", user="root").stdout == b"0\n"

    services.delete_container(container)

    container.refresh_from_db()
    assert container.status == Status.DELETED
    assert not lxd.instance_exists(container.name)
    assert [event.status for event in container.events.all()][-2:] == ["deleting", "deleted"]


@pytest.mark.django_db
def test_container_gets_limits_and_isolation(student):
    container = services.create_container(owner=student, kind=Kind.LAB)
    neighbour = services.create_container(owner=student, kind=Kind.LAB)

    instance = lxd.get_client().instances.get(container.name)
    config = instance.config
    neighbour_config = lxd.get_client().instances.get(neighbour.name).config

    assert config["limits.cpu"] == "1"
    assert config["limits.memory"] == "512MiB"
    assert config["limits.memory.swap"] == "false"
    assert config["limits.processes"] == "512"
    assert config["security.idmap.isolated"] == "true"
    assert config["security.nesting"] == "false"
    assert config["security.privileged"] == "false"
    assert instance.devices["root"]["size"] == "2GiB"
    assert instance.profiles == ["labsite"]
    # Root of each container maps to its own range of host uids.
    assert run(container, "cat /proc/self/uid_map", user="root").stdout.split()[:2] == [
        b"0",
        config["volatile.idmap.base"].encode(),
    ]
    assert config["volatile.idmap.base"] != neighbour_config["volatile.idmap.base"]


@pytest.mark.django_db
def test_names_are_never_reused(student):
    first = services.create_container(owner=student, kind=Kind.LAB)
    services.delete_container(first)

    second = services.create_container(owner=student, kind=Kind.LAB)

    assert second.name != first.name
    assert Container.objects.filter(name=first.name).count() == 1


@pytest.fixture
def instances_before(lxd_available):
    return set(lxd.list_instances(name_prefix()))


@pytest.mark.django_db
def test_host_key_verified_after_creation(student):
    container = services.create_container(owner=student, kind=Kind.LAB)
    other = services.create_container(owner=student, kind=Kind.LAB)
    presented = run(container, "cat /etc/ssh/ssh_host_ed25519_key.pub", user="root").stdout

    assert presented.decode().split()[:2] == container.host_key.split()[:2]
    assert other.host_key != container.host_key
    container.host_key = other.host_key
    with pytest.raises(SSHHostKeyMismatch):
        run(container, "true")


@pytest.mark.django_db
def test_failed_boot_leaves_nothing(student, instances_before):
    with override_settings(CONTAINER_BOOT_TIMEOUT=0), pytest.raises(LXDError) as failure:
        services.create_container(owner=student, kind=Kind.SANDBOX)

    assert "got no IPv4 address within 0 seconds" in str(failure.value.message)
    assert not Container.objects.exists()
    assert set(lxd.list_instances(name_prefix())) == instances_before


@pytest.mark.django_db
def test_unknown_image_leaves_nothing(student, instances_before):
    with pytest.raises(LXDError) as failure:
        services.create_container(owner=student, kind=Kind.LAB, image="no-such-image")

    assert str(failure.value.message) == (
        "LXD has no image no-such-image in project labsite: run scripts/setup-lxd.sh, "
        "or set LXD_IMAGE to an image alias of that project."
    )
    assert not Container.objects.exists()
    assert set(lxd.list_instances(name_prefix())) == instances_before


@pytest.fixture
def fresh_client():
    """Reset the shared LXD client after a test that changed the LXD settings."""
    yield
    lxd.reset_client()


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_client")
def test_wrong_endpoint_gives_clear_error(student, settings):
    # Nothing listens on port 1 of the loopback address.
    settings.LXD_ENDPOINT = "https://127.0.0.1:1"
    lxd.reset_client()

    with pytest.raises(LXDUnreachable) as failure:
        services.create_container(owner=student, kind=Kind.SANDBOX)

    assert str(failure.value.message) == (
        "LXD refused the connection at https://127.0.0.1:1: check LXD_ENDPOINT and the "
        "certificate paths, and that the LXD daemon runs."
    )
    assert not Container.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_client")
def test_wrong_server_certificate_gives_clear_error(student, settings):
    settings.LXD_SERVER_CERT_PATH = settings.LXD_CERT_PATH
    lxd.reset_client()

    with pytest.raises(LXDUnreachable) as failure:
        services.create_container(owner=student, kind=Kind.SANDBOX)

    assert str(failure.value.message).startswith(
        "The TLS handshake with LXD at https://127.0.0.1:8443 failed: check LXD_SERVER_CERT_PATH"
    )
    assert not Container.objects.exists()


@pytest.mark.django_db
def test_stopped_sandbox_keeps_files(student):
    container = services.create_container(owner=student, kind=Kind.SANDBOX)
    run(container, "echo kept > ~/notes.txt")

    services.stop_container(container)
    stopped_state = lxd.get_state(container.name).status
    services.start_container(container)

    assert stopped_state == "Stopped"
    assert container.status == Status.RUNNING
    assert run(container, "cat ~/notes.txt").stdout == b"kept\n"


@pytest.mark.django_db
def test_reset_gives_fresh_sandbox(student):
    container = services.create_container(owner=student, kind=Kind.SANDBOX)
    run(container, "echo old > ~/notes.txt")

    fresh = services.reset_sandbox(container)

    container.refresh_from_db()
    assert container.status == Status.DELETED
    assert fresh.pk != container.pk
    assert fresh.status == Status.RUNNING
    assert run(fresh, "test -e ~/notes.txt; echo $?").stdout == b"1\n"


@pytest.mark.django_db
def test_upkeep_stops_idle_sandbox(student):
    container = services.create_container(owner=student, kind=Kind.SANDBOX)
    Container.objects.filter(pk=container.pk).update(
        last_activity_at=timezone.now() - timedelta(minutes=61)
    )

    upkeep.stop_idle_sandboxes()

    container.refresh_from_db()
    assert container.status == Status.STOPPED
    assert lxd.get_state(container.name).status == "Stopped"


@pytest.mark.django_db
def test_upkeep_deletes_expired_container(student):
    container = services.create_container(owner=student, kind=Kind.LAB)
    Container.objects.filter(pk=container.pk).update(expires_at=timezone.now())

    upkeep.delete_expired_containers()

    container.refresh_from_db()
    assert container.status == Status.DELETED
    assert not lxd.instance_exists(container.name)


@pytest.mark.django_db
def test_reconcile_deletes_orphan_instance(student):
    orphan = Container(kind=Kind.LAB, image="labsite/debian-12")
    lxd.create_instance(
        orphan.name,
        image=orphan.image,
        profiles=["labsite"],
        config=services.instance_config(orphan),
        devices=services.instance_devices(),
    )

    upkeep.reconcile_with_lxd()

    assert not lxd.instance_exists(orphan.name)


@pytest.mark.django_db
def test_reconcile_marks_vanished_instance_deleted(student):
    container = services.create_container(owner=student, kind=Kind.SANDBOX)
    lxd.delete_instance(container.name)

    upkeep.reconcile_with_lxd()

    container.refresh_from_db()
    assert container.status == Status.DELETED
    assert container.events.last().message == "instance missing in LXD"


@pytest.mark.django_db
def test_reconcile_removes_stale_creation(student):
    stale = Container.objects.create(owner=student, kind=Kind.LAB, image="labsite/debian-12")
    Container.objects.filter(pk=stale.pk).update(
        status_changed_at=timezone.now() - timedelta(minutes=11)
    )
    fresh = Container.objects.create(owner=student, kind=Kind.LAB, image="labsite/debian-12")

    upkeep.reconcile_with_lxd()

    assert not Container.objects.filter(pk=stale.pk).exists()
    assert Container.objects.get(pk=fresh.pk).status == Status.CREATING


def test_delete_missing_instance_is_quiet(lxd_available):
    lxd.delete_instance(f"{name_prefix()}does-not-exist")

    with pytest.raises(LXDNotFound):
        lxd.get_state(f"{name_prefix()}does-not-exist")


@pytest.mark.usefixtures("fresh_client")
def test_certificate_limited_to_labsite_project(lxd_available, settings):
    settings.LXD_PROJECT = "default"
    lxd.reset_client()

    with pytest.raises(LXDError) as failure:
        lxd.list_instances(name_prefix())

    assert "not authorized" in str(failure.value.message).lower()
