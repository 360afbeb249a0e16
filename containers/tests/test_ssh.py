"""containers.ssh against real OpenSSH servers started by containers.tests.sshd."""

import dataclasses
import select
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from containers.errors import (
    SSHAuthenticationFailed,
    SSHError,
    SSHHostKeyMismatch,
    SSHHostKeyUnknown,
    SSHTimeout,
)
from containers.ssh import JumpHost, connect, ensure_key_pair, fetch_host_key, wait_for_ssh
from containers.tests.sshd import SSHServer, free_port

MAX_OUTPUT = 65536


def connect_direct(server, ssh_keys):
    """Connect to a test sshd without a jump host, with the platform's key."""
    return connect(
        server.host,
        port=server.port,
        user=server.user,
        host_key=server.host_key,
        key_path=str(ssh_keys["platform"]),
        jump=None,
    )


@pytest.fixture
def connection(target_sshd, ssh_keys):
    with connect_direct(target_sshd, ssh_keys) as connection:
        yield connection


def connect_through(jump_host, target_sshd, ssh_keys, **options):
    return connect(
        target_sshd.host,
        port=target_sshd.port,
        user=target_sshd.user,
        host_key=target_sshd.host_key,
        key_path=str(ssh_keys["platform"]),
        jump=jump_host,
        **options,
    )


def fingerprint(public_key_line, tmp_path):
    """Return the SHA256 fingerprint of a public key as ssh-keygen prints it."""
    path = tmp_path / "key.pub"
    path.write_text(public_key_line + "\n")
    output = subprocess.run(
        ["ssh-keygen", "-lf", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return output.split()[1]


def read_until(shell, marker, timeout=5.0):
    """Return the shell's output up to and including marker."""
    output = b""
    deadline = time.monotonic() + timeout
    while marker not in output:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{marker!r} not in the shell's output: {output!r}"
        readable, _, _ = select.select([shell.fileno()], [], [], remaining)
        if readable:
            chunk = shell.recv(4096)
            assert chunk, f"the shell ended before {marker!r}: {output!r}"
            output += chunk
    return output


def wait_for_processes(connection, pattern, *, running, timeout=3.0):
    """Poll pgrep until a process whose command line is pattern runs (or no longer runs)."""
    deadline = time.monotonic() + timeout
    while True:
        result = connection.run(f"pgrep -fx '{pattern}'", timeout=5, max_output=MAX_OUTPUT)
        if (result.exit_status == 0) == running or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_run_direct(connection, target_sshd):
    result = connection.run("id -un", timeout=5, max_output=MAX_OUTPUT)

    assert result.exit_status == 0
    assert result.stdout == f"{target_sshd.user}\n".encode()
    assert result.stderr == b""
    assert result.stdout_truncated is False
    assert result.stderr_truncated is False
    assert result.timed_out is False
    assert 0 < result.duration < 5


def test_run_through_jump_host(jump_host, target_sshd, ssh_keys):
    with connect_through(jump_host, target_sshd, ssh_keys) as connection:
        result = connection.run("id -un", timeout=5, max_output=MAX_OUTPUT)

    assert result.exit_status == 0
    assert result.stdout == f"{target_sshd.user}\n".encode()
    assert connection.host_key == target_sshd.host_key
    assert connection.closed


def test_run_sends_stdin(connection):
    result = connection.run("tr a-z A-Z", stdin=b"hello\n", timeout=5, max_output=MAX_OUTPUT)

    assert result.exit_status == 0
    assert result.stdout == b"HELLO\n"


def test_run_sends_stdin_larger_than_window(connection):
    # 5 MB is more than one SSH channel window, so sending waits for the server to
    # open the window again.
    data = bytes(range(256)) * 20000

    result = connection.run("sha256sum", stdin=data, timeout=10, max_output=MAX_OUTPUT)

    expected = subprocess.run(["sha256sum"], input=data, capture_output=True, check=True).stdout
    assert result.exit_status == 0
    assert result.stdout == expected


def test_run_many_commands_over_one_connection(connection):
    outputs = [
        connection.run(f"echo {number}", timeout=5, max_output=MAX_OUTPUT).stdout
        for number in range(20)
    ]

    assert outputs == [f"{number}\n".encode() for number in range(20)]


def test_run_keeps_tail_of_large_output(connection):
    # Both streams are written at once, so a reader that drained one stream
    # before the other would block the command.
    command = (
        "{ yes out | head -c 5000000 & yes err | head -c 5000000 >&2; wait; }; "
        "printf TAIL-OUT; printf TAIL-ERR >&2; exit 3"
    )

    result = connection.run(command, timeout=20, max_output=MAX_OUTPUT)

    assert result.exit_status == 3
    assert result.timed_out is False
    assert result.stdout == (b"out\n" * 1250000 + b"TAIL-OUT")[-MAX_OUTPUT:]
    assert result.stderr == (b"err\n" * 1250000 + b"TAIL-ERR")[-MAX_OUTPUT:]
    assert result.stdout_truncated is True
    assert result.stderr_truncated is True


def test_run_returns_nonzero_exit_status(connection):
    result = connection.run("echo oops >&2; exit 7", timeout=5, max_output=MAX_OUTPUT)

    assert result.exit_status == 7
    assert result.stdout == b""
    assert result.stderr == b"oops\n"
    assert result.timed_out is False


def test_run_timeout_kills_command(connection):
    started = time.monotonic()

    result = connection.run("echo started; sleep 30.25", timeout=1, max_output=MAX_OUTPUT)

    assert 1 <= time.monotonic() - started < 2
    assert result.timed_out is True
    assert result.exit_status is None
    assert result.stdout == b"started\n"
    assert 1 <= result.duration < 2
    # The same connection still runs commands, and the sleep is gone.
    leftover = wait_for_processes(connection, "sleep 30.25", running=False)
    assert leftover.exit_status == 1
    assert leftover.stdout == b""


def test_connect_prefers_aes_gcm(connection):
    assert connection.cipher == "aes128-gcm@openssh.com"
    assert connection.run("echo ok", timeout=5, max_output=MAX_OUTPUT).stdout == b"ok\n"


def test_connect_falls_back_to_a_cipher_without_gcm(tmp_path, ssh_keys):
    server = SSHServer(
        tmp_path / "sshd",
        authorized_keys=[Path(f"{ssh_keys['platform']}.pub").read_text()],
        extra_config="Ciphers aes256-ctr\n",
    )
    with server, connect_direct(server, ssh_keys) as connection:
        result = connection.run("echo ok", timeout=5, max_output=MAX_OUTPUT)

    assert connection.cipher == "aes256-ctr"
    assert result.stdout == b"ok\n"


def test_connect_rejects_wrong_key(target_sshd, ssh_keys):
    key_path = ssh_keys["stranger"]

    with pytest.raises(SSHAuthenticationFailed) as raised:
        connect(
            target_sshd.host,
            port=target_sshd.port,
            user=target_sshd.user,
            host_key=target_sshd.host_key,
            key_path=str(key_path),
            jump=None,
        )

    user = target_sshd.user
    assert str(raised.value) == (
        f"SSH authentication failed for {user}@{target_sshd.address}: check that the key at "
        f"{key_path} exists, has mode 600, and that its public key is in the authorized_keys "
        f"of {user}."
    )
    assert raised.value.code == "ssh_authentication_failed"


def test_connect_rejects_missing_key_file(target_sshd, tmp_path):
    key_path = tmp_path / "id_missing"

    with pytest.raises(SSHError) as raised:
        connect(
            target_sshd.host,
            port=target_sshd.port,
            user=target_sshd.user,
            host_key=target_sshd.host_key,
            key_path=str(key_path),
            jump=None,
        )

    assert str(raised.value) == (
        f"The SSH private key {key_path} does not exist: check SSH_KEY_PATH and "
        "LXD_SSH_JUMP_KEY_PATH, or create the key."
    )


def test_connect_rejects_file_that_is_no_key(target_sshd, tmp_path):
    key_path = tmp_path / "id_garbage"
    key_path.write_text("not a key\n")
    key_path.chmod(0o600)

    with pytest.raises(SSHError) as raised:
        connect(
            target_sshd.host,
            port=target_sshd.port,
            user=target_sshd.user,
            host_key=target_sshd.host_key,
            key_path=str(key_path),
            jump=None,
        )

    assert str(raised.value) == (
        f"The file {key_path} is not an SSH private key that Labsite can use: it must be an "
        "Ed25519, ECDSA or RSA key in OpenSSH or PEM format."
    )


def test_connect_nothing_listening(ssh_keys):
    port = free_port()

    with pytest.raises(SSHError) as raised:
        connect(
            "127.0.0.1",
            port=port,
            user="root",
            host_key=None,
            trust_on_first_use=True,
            key_path=str(ssh_keys["platform"]),
            jump=None,
        )

    assert str(raised.value) == (
        f"Connecting to 127.0.0.1:{port} failed (Connection refused): check that the host "
        f"is running and that sshd listens on port {port}."
    )


def test_connect_unreachable_jump_host(jump_host, jump_sshd, target_sshd, ssh_keys, tmp_path):
    port = free_port()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {jump_sshd.host_key}\n")
    jump = dataclasses.replace(jump_host, port=port, known_hosts_path=str(known_hosts))

    with pytest.raises(SSHError) as raised:
        connect_through(jump, target_sshd, ssh_keys)

    assert str(raised.value) == (
        f"Connecting to the jump host {jump.user}@127.0.0.1:{port} failed (Connection "
        f"refused): check that the host is running and that sshd listens on port {port}."
    )


def test_connect_jump_host_cannot_reach_target(jump_host, target_sshd, ssh_keys):
    port = free_port()

    with pytest.raises(SSHError) as raised:
        connect(
            "127.0.0.1",
            port=port,
            user=target_sshd.user,
            host_key=target_sshd.host_key,
            key_path=str(ssh_keys["platform"]),
            jump=jump_host,
        )

    assert str(raised.value) == (
        f"The jump host {jump_host} could not connect to 127.0.0.1:{port} (Connect failed): "
        "check that the container is running and that the jump host allows TCP forwarding."
    )


def test_connect_handshake_timeout(ssh_keys):
    # A socket that listens but never accepts: the kernel completes the TCP
    # handshake, and no SSH banner ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()

        with pytest.raises(SSHTimeout) as raised:
            connect(
                "127.0.0.1",
                port=port,
                user="root",
                host_key=None,
                trust_on_first_use=True,
                key_path=str(ssh_keys["platform"]),
                jump=None,
                timeout=0.5,
            )

    assert time.monotonic() - started < 1.5
    assert str(raised.value) == (
        f"The SSH handshake with 127.0.0.1:{port} timed out after 0.5 s: check that an SSH "
        "server listens there and is not overloaded."
    )


def test_fetch_host_key_then_verified(target_sshd, jump_host, ssh_keys):
    recorded = fetch_host_key(target_sshd.host, port=target_sshd.port, jump=None)
    through_jump = fetch_host_key(target_sshd.host, port=target_sshd.port, jump=jump_host)

    with connect(
        target_sshd.host,
        port=target_sshd.port,
        user=target_sshd.user,
        host_key=recorded,
        key_path=str(ssh_keys["platform"]),
        jump=None,
    ) as connection:
        result = connection.run("true", timeout=5, max_output=MAX_OUTPUT)

    assert recorded == target_sshd.host_key
    assert recorded.startswith("ssh-ed25519 AAAA")
    assert through_jump == recorded
    assert result.exit_status == 0


def test_connect_rejects_other_host_key(target_sshd, jump_sshd, ssh_keys, tmp_path):
    # The stranger key would fail authentication, so the mismatch proves that
    # the host key is checked before the client authenticates.
    with pytest.raises(SSHHostKeyMismatch) as raised:
        connect(
            target_sshd.host,
            port=target_sshd.port,
            user=target_sshd.user,
            host_key=jump_sshd.host_key,
            key_path=str(ssh_keys["stranger"]),
            jump=None,
        )

    presented = fingerprint(target_sshd.host_key, tmp_path)
    expected = fingerprint(jump_sshd.host_key, tmp_path)
    assert str(raised.value) == (
        f"The host key of {target_sshd.address} is {presented}, not the recorded {expected}. "
        "If the server was reinstalled, record its new key; otherwise someone may be "
        "intercepting the connection."
    )
    assert raised.value.code == "ssh_host_key_mismatch"


def test_connect_verifies_each_recorded_key_type(tmp_path, ssh_keys):
    # Containers have several host keys. paramiko prefers Ed25519, so a
    # recorded key of another type only matches when it is requested.
    rsa_key_path = tmp_path / "ssh_host_rsa_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(rsa_key_path)],
        check=True,
    )
    rsa_host_key = " ".join(Path(f"{rsa_key_path}.pub").read_text().split()[:2])
    server = SSHServer(
        tmp_path / "sshd",
        authorized_keys=[Path(f"{ssh_keys['platform']}.pub").read_text()],
        extra_config=f"HostKey {rsa_key_path}\n",
    )
    options = {"port": 0, "user": server.user, "key_path": str(ssh_keys["platform"])}

    with server:
        options["port"] = server.port
        with connect(server.host, host_key=rsa_host_key, jump=None, **options) as by_rsa:
            rsa_result = by_rsa.run("true", timeout=5, max_output=MAX_OUTPUT)
        with connect(server.host, host_key=server.host_key, jump=None, **options) as by_ed25519:
            ed25519_result = by_ed25519.run("true", timeout=5, max_output=MAX_OUTPUT)

    assert by_rsa.host_key == rsa_host_key
    assert rsa_result.exit_status == 0
    assert by_ed25519.host_key == server.host_key
    assert ed25519_result.exit_status == 0


def test_connect_requires_host_key_or_trust(target_sshd, ssh_keys):
    options = {
        "port": target_sshd.port,
        "user": target_sshd.user,
        "key_path": str(ssh_keys["platform"]),
        "jump": None,
    }

    with pytest.raises(ValueError):
        connect(target_sshd.host, host_key=None, **options)
    with connect(target_sshd.host, host_key=None, trust_on_first_use=True, **options) as trusted:
        result = trusted.run("true", timeout=5, max_output=MAX_OUTPUT)

    assert trusted.host_key == target_sshd.host_key
    assert result.exit_status == 0


def test_jump_host_key_mismatch(jump_host, target_sshd, ssh_keys, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[{jump_host.host}]:{jump_host.port} {target_sshd.host_key}\n")
    jump = dataclasses.replace(jump_host, known_hosts_path=str(known_hosts))

    with pytest.raises(SSHHostKeyMismatch) as raised:
        connect_through(jump, target_sshd, ssh_keys)

    assert str(raised.value).startswith(f"The host key of the jump host {jump} is SHA256:")


def test_jump_host_key_unknown(jump_host, target_sshd, ssh_keys, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    # The right key under the default port's name, which does not match.
    known_hosts.write_text(f"{jump_host.host} {target_sshd.host_key}\n")
    jump = dataclasses.replace(jump_host, known_hosts_path=str(known_hosts))

    with pytest.raises(SSHHostKeyUnknown) as raised:
        connect_through(jump, target_sshd, ssh_keys)

    name = f"[{jump.host}]:{jump.port}"
    assert str(raised.value) == (
        f"The known_hosts file {known_hosts} has no key for the jump host {jump}: add a line "
        f"for {name}, for example with ssh-keyscan, after checking its fingerprint on the "
        "jump host."
    )


def test_jump_host_without_known_hosts(jump_host, target_sshd, ssh_keys):
    jump = dataclasses.replace(jump_host, known_hosts_path=None)

    with pytest.raises(SSHHostKeyUnknown) as raised:
        connect_through(jump, target_sshd, ssh_keys)

    assert str(raised.value) == (
        f"The host key of the jump host {jump} cannot be checked, because "
        "LXD_SSH_JUMP_KNOWN_HOSTS is not set: set it to a known_hosts file that contains the "
        "jump host's key."
    )


def test_connect_uses_jump_host_from_settings(
    settings, jump_host, jump_sshd, target_sshd, ssh_keys, tmp_path
):
    closed_port = free_port()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(
        jump_sshd.known_hosts_line() + f"[127.0.0.1]:{closed_port} {jump_sshd.host_key}\n"
    )
    settings.SSH_KEY_PATH = str(ssh_keys["platform"])
    settings.LXD_SSH_JUMP_HOST = str(jump_host)
    settings.LXD_SSH_JUMP_KEY_PATH = jump_host.key_path
    settings.LXD_SSH_JUMP_KNOWN_HOSTS = str(known_hosts)

    with connect(
        target_sshd.host,
        port=target_sshd.port,
        user=target_sshd.user,
        host_key=target_sshd.host_key,
    ) as connection:
        result = connection.run("id -un", timeout=5, max_output=MAX_OUTPUT)
    settings.LXD_SSH_JUMP_HOST = f"{jump_host.user}@{jump_host.host}:{closed_port}"
    with pytest.raises(SSHError) as raised:
        connect(
            target_sshd.host,
            port=target_sshd.port,
            user=target_sshd.user,
            host_key=target_sshd.host_key,
        )

    assert result.stdout == f"{target_sshd.user}\n".encode()
    assert str(raised.value).startswith(
        f"Connecting to the jump host {settings.LXD_SSH_JUMP_HOST} failed"
    )


@pytest.mark.parametrize(
    ("address", "host", "port"),
    [
        ("labsite@192.0.2.10", "192.0.2.10", 22),
        ("labsite@192.0.2.10:2222", "192.0.2.10", 2222),
        ("labsite@jump.example.test:22", "jump.example.test", 22),
        ("labsite@[2001:db8::1]", "2001:db8::1", 22),
        ("labsite@[2001:db8::1]:2200", "2001:db8::1", 2200),
        ("labsite@2001:db8::1", "2001:db8::1", 22),
    ],
)
def test_jump_host_parse(address, host, port):
    jump = JumpHost.parse(address, key_path="/key", known_hosts_path=None)

    assert (jump.user, jump.host, jump.port) == ("labsite", host, port)


@pytest.mark.parametrize(
    "address",
    [
        "192.0.2.10",
        "@192.0.2.10",
        "labsite@",
        "labsite@host:ssh",
        "labsite@host:0",
        "labsite@host:70000",
        "labsite@[2001:db8::1",
        "labsite@[2001:db8::1]22",
    ],
)
def test_jump_host_parse_rejects(address):
    with pytest.raises(SSHError) as raised:
        JumpHost.parse(address, key_path="/key", known_hosts_path=None)

    assert str(raised.value) == (
        f"The jump host address {address} is invalid: write it as user@host or "
        "user@host:port, for example labsite@192.0.2.10:22."
    )


def test_wait_for_ssh_returns_when_sshd_answers(target_sshd, jump_host):
    started = time.monotonic()

    wait_for_ssh(target_sshd.host, port=target_sshd.port, jump=None, timeout=5)
    wait_for_ssh(target_sshd.host, port=target_sshd.port, jump=jump_host, timeout=5)

    assert time.monotonic() - started < 2


def test_wait_for_ssh_waits_for_late_sshd(tmp_path):
    server = SSHServer(tmp_path / "late-sshd", authorized_keys=[])
    port = free_port()
    starter = threading.Timer(0.5, server.start, kwargs={"port": port})
    started = time.monotonic()
    starter.start()
    try:
        wait_for_ssh(server.host, port=port, jump=None, timeout=10, interval=0.1)
        waited = time.monotonic() - started
    finally:
        starter.join()
        server.stop()

    assert 0.5 <= waited < 5


@pytest.mark.parametrize("through_jump", [False, True])
def test_wait_for_ssh_times_out(through_jump, jump_host):
    port = free_port()
    jump = jump_host if through_jump else None
    started = time.monotonic()

    with pytest.raises(SSHTimeout) as raised:
        wait_for_ssh("127.0.0.1", port=port, jump=jump, timeout=0.6, interval=0.1)

    address = f"127.0.0.1:{port}" + (f" through the jump host {jump}" if jump else "")
    assert 0.5 <= time.monotonic() - started < 2
    assert str(raised.value) == (
        f"sshd at {address} did not answer within 0.6 s: check that the container is "
        "running and that its sshd service starts."
    )


def test_shell_echo(connection):
    shell = connection.open_shell(cols=80, rows=24)

    # The quotes keep the echoed command line from matching the output.
    shell.send(b"echo h''i\n")

    assert b"hi\r\n" in read_until(shell, b"hi\r\n")
    shell.close()
    assert shell.closed


def test_shell_resize(connection):
    shell = connection.open_shell(cols=80, rows=24)

    shell.resize(132, 43)
    shell.send(b"stty size\n")

    assert b"43 132\r\n" in read_until(shell, b"43 132\r\n")
    shell.close()


def test_shell_round_trips_utf8(connection):
    text = "Привет, dunyo! 🐧".encode()
    shell = connection.open_shell(cols=80, rows=24, environment={"LANG": "C.UTF-8"})

    shell.send(b"printf '" + text + b"'; echo ' END'\n")
    output = read_until(shell, b" END\r\n")

    # The echoed command line contains the text too, but followed by a quote.
    assert text + b" END\r\n" in output
    shell.close()


def test_shell_passes_accepted_environment(connection):
    shell = connection.open_shell(
        cols=80, rows=24, environment={"LC_LABSITE": "sandbox-7", "LABSITE_DROPPED": "x"}
    )

    shell.send(b'echo "[$LC_LABSITE|$LABSITE_DROPPED]"\n')

    assert b"[sandbox-7|]\r\n" in read_until(shell, b"[sandbox-7|]\r\n")
    shell.close()


def test_shell_close_ends_remote_processes(connection):
    shell = connection.open_shell(cols=80, rows=24)
    shell.send(b"sleep 1234\n")
    started = wait_for_processes(connection, "sleep 1234", running=True)

    shell.close()

    assert started.exit_status == 0
    leftover = wait_for_processes(connection, "sleep 1234", running=False)
    assert leftover.exit_status == 1
    assert leftover.stdout == b""


def test_shell_recv_returns_empty_at_exit(connection):
    shell = connection.open_shell(cols=80, rows=24)

    shell.send(b"exit 0\n")
    output = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        select.select([shell.fileno()], [], [], deadline - time.monotonic())
        chunk = shell.recv(4096)
        if not chunk:
            break
        output += chunk

    assert b"exit" in output
    assert shell.recv(4096) == b""


def test_ensure_key_pair(tmp_path):
    path = tmp_path / "ssh" / "id_ed25519"

    public_key = ensure_key_pair(str(path))
    again = ensure_key_pair(str(path))

    assert public_key.startswith("ssh-ed25519 AAAA")
    assert again == public_key
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "ssh").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "ssh" / "id_ed25519.pub").read_text() == f"{public_key} labsite\n"
