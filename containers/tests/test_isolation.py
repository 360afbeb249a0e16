"""Limits and network isolation of lab containers, on the real local LXD.

A fork bomb and a memory hog run inside one container while the tests
check that the host and a second container stay responsive.
"""

import socket
import threading
import time

import pytest

from containers import lxd
from containers.tests.lxd_fixtures import LaunchedInstance

pytestmark = pytest.mark.lxd


def run(instance, command, user="student", timeout=20):
    with instance.connect(user) as connection:
        return connection.run(command, timeout=timeout, max_output=100_000)


def reachable(instance, address, port):
    """Return whether a TCP connection from the container to address:port succeeds."""
    result = run(instance, f"timeout 3 bash -c '</dev/tcp/{address}/{port}' && echo open")
    return result.stdout == b"open\n"


def gateway(instance):
    return run(instance, "ip -4 route show default | cut -d' ' -f3").stdout.decode().strip()


@pytest.fixture
def victim(lxd_available):
    """A container that a test may break."""
    instance = LaunchedInstance()
    yield instance
    instance.delete()


@pytest.fixture
def host_listener():
    """A TCP server on every host address: a service the containers must not reach."""
    server = socket.create_server(("0.0.0.0", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _address = server.accept()
                connection.close()
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_containers_cannot_reach_each_other(shared_instance, victim):
    assert (
        run(
            shared_instance, f"ping -c1 -W1 {gateway(shared_instance)} >/dev/null && echo up"
        ).stdout
        == b"up\n"
    )

    assert not reachable(shared_instance, victim.address, 22)
    assert (
        run(shared_instance, f"ping -c1 -W1 {victim.address} >/dev/null; echo $?").stdout != b"0\n"
    )
    assert not reachable(victim, shared_instance.address, 22)


def test_container_cannot_reach_host_services(shared_instance, host_listener):
    host = gateway(shared_instance)

    with socket.create_connection((host, host_listener), timeout=3):
        pass  # The service listens on the bridge address, seen from the host.
    for port in (host_listener, 8443, 5432, 6379, 22):
        assert not reachable(shared_instance, host, port), port


def test_container_cannot_spoof_its_address(victim):
    host = gateway(victim)
    prefix = victim.address.rsplit(".", 1)[0]
    spoofed = f"{prefix}.250"

    genuine = run(victim, f"ping -c1 -W1 {host} >/dev/null; echo $?", user="root")
    run(victim, f"ip addr add {spoofed}/24 dev eth0", user="root")
    forged = run(victim, f"ping -c1 -W2 -I {spoofed} {host} >/dev/null; echo $?", user="root")

    assert genuine.stdout == b"0\n"
    assert forged.stdout != b"0\n"


def assert_responsive(instance):
    started = time.monotonic()
    result = run(instance, "echo alive", timeout=10)
    assert result.stdout == b"alive\n"
    assert time.monotonic() - started < 5


def test_fork_bomb_is_contained(shared_instance, victim):
    with victim.connect() as connection:
        connection.run(
            "setsid nohup bash -c 'bomb() { bomb | bomb & }; bomb' >/dev/null 2>&1 &",
            timeout=10,
            max_output=10_000,
        )
        time.sleep(5)

        processes = lxd.get_state(victim.name).processes
        assert_responsive(shared_instance)
        host_started = time.monotonic()
        assert lxd.check_connection()
        assert time.monotonic() - host_started < 2

    assert processes <= 512 + 16  # limits.processes, plus LXD's own count of init tasks


def test_memory_hog_is_contained(shared_instance, victim):
    # tail keeps every line of endless input without a newline in memory.
    result = run(victim, "timeout 60 tail /dev/zero; echo status=$?", timeout=70)

    assert result.stdout == b"status=137\n"  # killed by the container's OOM killer
    assert_responsive(shared_instance)
    assert_responsive(victim)
