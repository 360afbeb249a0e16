"""Fixtures of the container tests: real OpenSSH servers and their keys."""

from pathlib import Path

import pytest

from containers.ssh import JumpHost, ensure_key_pair
from containers.tests.sshd import SSHServer, generate_key


@pytest.fixture(scope="session")
def ssh_keys(tmp_path_factory) -> dict[str, Path]:
    """Private keys by role: the platform's, the jump host's, and one no server accepts."""
    directory = tmp_path_factory.mktemp("ssh-keys")
    keys = {name: directory / f"id_{name}" for name in ("platform", "jump", "stranger")}
    ensure_key_pair(str(keys["platform"]))
    generate_key(keys["jump"])
    generate_key(keys["stranger"])
    return keys


def _public_key(path: Path) -> str:
    return Path(f"{path}.pub").read_text().strip()


@pytest.fixture(scope="session")
def target_sshd(tmp_path_factory, ssh_keys):
    """An sshd in place of a container: it accepts the platform key."""
    server = SSHServer(
        tmp_path_factory.mktemp("target-sshd"),
        authorized_keys=[_public_key(ssh_keys["platform"])],
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def jump_sshd(tmp_path_factory, ssh_keys):
    """An sshd in place of the jump host: it accepts the jump key and forwards TCP."""
    server = SSHServer(
        tmp_path_factory.mktemp("jump-sshd"),
        authorized_keys=[_public_key(ssh_keys["jump"])],
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def jump_host(tmp_path_factory, ssh_keys, jump_sshd) -> JumpHost:
    """The jump host of jump_sshd, with a known_hosts file that records its key."""
    known_hosts = tmp_path_factory.mktemp("jump-known-hosts") / "known_hosts"
    known_hosts.write_text(jump_sshd.known_hosts_line())
    return JumpHost(
        user=jump_sshd.user,
        host=jump_sshd.host,
        port=jump_sshd.port,
        key_path=str(ssh_keys["jump"]),
        known_hosts_path=str(known_hosts),
    )
