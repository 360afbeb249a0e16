"""Containers reached through an SSH jump host: a real OpenSSH sshd on 127.0.0.1."""

from pathlib import Path

import pytest

from containers import services
from containers.errors import SSHError
from containers.models import Container, Kind, Status
from containers.tests.sshd import SSHServer

pytestmark = [pytest.mark.lxd, pytest.mark.usefixtures("lxd_cleanup")]


@pytest.fixture
def logging_jump_sshd(tmp_path, ssh_keys):
    """A jump host whose log shows each connection it forwards."""
    server = SSHServer(
        tmp_path / "jump",
        authorized_keys=[Path(f"{ssh_keys['jump']}.pub").read_text().strip()],
        extra_config="LogLevel DEBUG1\n",
    )
    with server:
        yield server


@pytest.fixture
def through_jump_host(settings, tmp_path, ssh_keys, logging_jump_sshd):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(logging_jump_sshd.known_hosts_line())
    settings.LXD_SSH_JUMP_HOST = f"{logging_jump_sshd.user}@{logging_jump_sshd.address}"
    settings.LXD_SSH_JUMP_KEY_PATH = str(ssh_keys["jump"])
    settings.LXD_SSH_JUMP_KNOWN_HOSTS = str(known_hosts)
    return logging_jump_sshd


@pytest.mark.django_db
def test_create_and_shell_through_jump_host(student, through_jump_host):
    container = services.create_container(owner=student, kind=Kind.SANDBOX)

    with services.connect(container, user="student") as connection:
        result = connection.run("id -un", timeout=15, max_output=1000)

    assert container.status == Status.RUNNING
    assert result.stdout == b"student\n"
    forwarded = f"connected to {container.ip_address} port 22"
    assert forwarded in through_jump_host.log()


@pytest.mark.django_db
def test_dead_jump_host_fails_cleanly(student, through_jump_host):
    through_jump_host.stop()

    with pytest.raises(SSHError) as failure:
        services.create_container(owner=student, kind=Kind.SANDBOX)

    assert through_jump_host.address in str(failure.value.message)
    assert not Container.objects.exists()
