"""SSH access to containers. This is the only module that imports paramiko.

connect() opens an authenticated connection to a container, directly or
through the jump host of LXD_SSH_JUMP_HOST. Connection.run() executes one
command and Connection.open_shell() starts an interactive shell with a PTY.
One connection serves any number of both. Every paramiko and socket error
leaves this module as one of the exceptions of containers.errors.

Host keys are always checked before authenticating: a container's against
the key recorded when it was created (fetch_host_key), the jump host's
against the known_hosts file of LXD_SSH_JUMP_KNOWN_HOSTS.
"""

from __future__ import annotations

import base64
import binascii
import enum
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.utils.translation import gettext as _

from containers.errors import (
    SSHAuthenticationFailed,
    SSHError,
    SSHHostKeyMismatch,
    SSHHostKeyUnknown,
    SSHTimeout,
)

logger = logging.getLogger(__name__)

DEFAULT_PORT = 22

# Bytes read from a channel at a time.
CHUNK_SIZE = 65536

# run() prints this with the shell's process id to stderr before the command,
# and _ProcessGroupLine takes that line off again.
PROCESS_GROUP_PREFIX = b"labsite-pgid="

# paramiko's own banner, handshake and authentication limits are set this
# many seconds past the caller's deadline, so that the deadline always
# expires first and is reported as SSHTimeout naming the step.
PARAMIKO_TIMEOUT_MARGIN = 5.0


class _Default(enum.Enum):
    FROM_SETTINGS = "from settings"


# Default of every `jump` argument: the jump host of LXD_SSH_JUMP_HOST, or
# none when that setting is empty.
FROM_SETTINGS = _Default.FROM_SETTINGS


@dataclass(frozen=True, kw_only=True)
class JumpHost:
    """An SSH server through which the platform reaches containers."""

    user: str
    host: str
    port: int = DEFAULT_PORT
    key_path: str
    # None means that no known_hosts file is configured, and then every
    # connection through the jump host raises SSHHostKeyUnknown.
    known_hosts_path: str | None

    @classmethod
    def parse(cls, address: str, *, key_path: str, known_hosts_path: str | None) -> JumpHost:
        """Parse `user@host` or `user@host:port`. An IPv6 host may go in brackets."""
        user, at, host_port = address.strip().rpartition("@")
        host, port = host_port, str(DEFAULT_PORT)
        if host_port.startswith("["):
            host, bracket, rest = host_port[1:].partition("]")
            if not bracket or (rest and not rest.startswith(":")):
                host = ""
            elif rest:
                port = rest[1:]
        elif host_port.count(":") == 1:
            host, port = host_port.split(":")

        if not (at and user and host and port.isdigit() and 0 < int(port) < 65536):
            raise SSHError(
                _(
                    "The jump host address %(address)s is invalid: write it as user@host "
                    "or user@host:port, for example labsite@192.0.2.10:22."
                )
                % {"address": address}
            )
        return cls(
            user=user,
            host=host,
            port=int(port),
            key_path=key_path,
            known_hosts_path=known_hosts_path,
        )

    @classmethod
    def from_settings(cls) -> JumpHost | None:
        """Return the jump host of LXD_SSH_JUMP_HOST, or None when it is empty."""
        if not settings.LXD_SSH_JUMP_HOST:
            return None
        return cls.parse(
            settings.LXD_SSH_JUMP_HOST,
            key_path=settings.LXD_SSH_JUMP_KEY_PATH or settings.SSH_KEY_PATH,
            known_hosts_path=settings.LXD_SSH_JUMP_KNOWN_HOSTS or None,
        )

    def __str__(self) -> str:
        return f"{self.user}@{_format_address(self.host, self.port)}"


@dataclass(frozen=True)
class RunResult:
    """Exit status, output and duration of a command executed by Connection.run()."""

    # None when the command timed out or was ended by a signal.
    exit_status: int | None
    stdout: bytes
    stderr: bytes
    # True when the command wrote more than max_output bytes to the stream,
    # so only the last max_output bytes were kept.
    stdout_truncated: bool
    stderr_truncated: bool
    timed_out: bool
    # Seconds that run() took, including the kill of a timed-out command.
    duration: float


class Shell:
    """An interactive shell with a PTY, for the terminal bridge.

    It passes bytes only and never decodes them. One thread may call recv()
    while another calls send(), resize() or close().
    """

    def __init__(self, channel: paramiko.Channel, *, label: str):
        self._channel = channel
        self._label = label

    def send(self, data: bytes) -> None:
        """Send all of data to the shell's PTY, blocking while the window is full."""
        try:
            self._channel.sendall(data)
        except (OSError, paramiko.SSHException) as error:
            raise SSHError(
                _("Sending to the shell on %(address)s failed (%(error)s): open a new shell.")
                % {"address": self._label, "error": error}
            ) from error

    def recv(self, size: int = CHUNK_SIZE) -> bytes:
        """Return at most size bytes of output, blocking until there are some, or b"" at EOF."""
        return self._channel.recv(size)

    def resize(self, cols: int, rows: int) -> None:
        try:
            self._channel.resize_pty(width=cols, height=rows)
        except (OSError, paramiko.SSHException) as error:
            raise SSHError(
                _("Resizing the shell on %(address)s failed (%(error)s): open a new shell.")
                % {"address": self._label, "error": error}
            ) from error

    def fileno(self) -> int:
        """Return a descriptor that select() reports readable when recv() would not block."""
        return self._channel.fileno()

    def send_ready(self) -> bool:
        """Return whether the SSH window is open, so a small send() returns at once."""
        return self._channel.send_ready()

    @property
    def closed(self) -> bool:
        return self._channel.closed

    def close(self) -> None:
        """Close the channel; sshd then closes the PTY, which hangs up the shell."""
        self._channel.close()


class Connection:
    """An authenticated SSH connection to one host.

    Create it with connect(). run() and open_shell() may be called any number
    of times, from several threads, each on a channel of its own.
    """

    def __init__(
        self,
        transport: paramiko.Transport,
        *,
        host: str,
        port: int,
        user: str | None,
        host_key: str,
        label: str,
        jump_connection: Connection | None = None,
    ):
        self._transport = transport
        self._jump_connection = jump_connection
        self._label = label
        self.host = host
        self.port = port
        self.user = user
        # The key the server presented, as "ssh-ed25519 AAAA...".
        self.host_key = host_key

    def __repr__(self) -> str:
        return f"<Connection {self.user}@{self._label}>"

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def cipher(self) -> str:
        """The SSH name of the cipher that encrypts what the server sends."""
        return self._transport.remote_cipher

    @property
    def closed(self) -> bool:
        return not self._transport.is_active()

    def close(self) -> None:
        """Close the connection with its channels, and the jump host connection under it."""
        self._transport.close()
        if self._jump_connection is not None:
            self._jump_connection.close()
        logger.debug("Closed the SSH connection to %s", self._label)

    def run(
        self, command: str, *, stdin: bytes = b"", timeout: float, max_output: int
    ) -> RunResult:
        """Execute command, send stdin and EOF to it, and return its status and output.

        The user's login shell runs the command, and must be a POSIX shell.
        stdout and stderr are read together while stdin is written, so a
        command that writes megabytes to either never blocks. Of each stream
        only the last max_output bytes are kept. A command still running after
        timeout seconds does not raise: its process group is killed with
        SIGKILL, and the result has timed_out set and the output read until
        then.
        """
        started = time.monotonic()
        deadline = started + timeout
        channel = self._open_session()
        stderr_head = _ProcessGroupLine(channel.recv_stderr)
        workers: list[threading.Thread] = []
        try:
            # NOTE: paramiko waits for the reply to the exec request without
            # a timeout. If a server never replies, only a dead transport (see
            # keepalive_interval) ends that wait.
            channel.exec_command(f"echo {PROCESS_GROUP_PREFIX.decode()}$$ >&2; {command}")
            stdout, stderr = _Tail(max_output), _Tail(max_output)
            workers = _start_workers(channel, stdin, stdout, stderr, stderr_head)
            for reader in workers[:2]:
                reader.join(max(deadline - time.monotonic(), 0))
            finished = not any(reader.is_alive() for reader in workers[:2])
            exit_status = None
            if finished and channel.status_event.wait(max(deadline - time.monotonic(), 0)):
                # paramiko reports -1 when the server sent no exit status,
                # which sshd does when a signal ended the command.
                exit_status = channel.exit_status if channel.exit_status != -1 else None
            else:
                finished = False
                logger.info("Command on %s timed out after %s s; killing it", self._label, timeout)
                self._kill_process_group(stderr_head.process_group)
        except (OSError, paramiko.SSHException) as error:
            raise self._channel_failed(error) from error
        finally:
            channel.close()
            for worker in workers:
                worker.join()
        if exit_status is None and finished and not self._transport.is_active():
            raise self._channel_failed(None)

        return RunResult(
            exit_status=exit_status,
            stdout=bytes(stdout.data),
            stderr=bytes(stderr.data),
            stdout_truncated=stdout.truncated,
            stderr_truncated=stderr.truncated,
            timed_out=not finished,
            duration=time.monotonic() - started,
        )

    def open_shell(
        self,
        *,
        term: str = "xterm-256color",
        cols: int,
        rows: int,
        environment: dict[str, str] | None = None,
        window_size: int | None = None,
    ) -> Shell:
        """Start the user's login shell on a PTY of cols x rows characters.

        sshd sets only the environment variables that its AcceptEnv option
        lists (LANG and LC_* on Debian and Ubuntu) and drops the others
        without an error. window_size (bytes) is the SSH channel window: how
        much output sshd may send before the client reads it. A small window
        keeps a flood of output close to its source (paramiko's default is 2 MiB).
        """
        channel = self._open_session(window_size)
        try:
            if environment:
                channel.update_environment(environment)
            channel.get_pty(term=term, width=cols, height=rows)
            channel.set_combine_stderr(True)
            channel.invoke_shell()
        except paramiko.SSHException as error:
            channel.close()
            raise self._channel_failed(error) from error
        logger.debug("Opened a shell on %s", self._label)
        return Shell(channel, label=self._label)

    def _kill_process_group(self, process_group: int | None) -> None:
        """Kill a process group of a timed-out command, from a channel of its own.

        Closing the command's channel would not end it: sshd closes a command
        without a PTY only when it writes to the closed pipe, and does not
        pass SSH "signal" requests on in root's sessions (OpenSSH 9.2).
        """
        if process_group is None:
            logger.warning("Cannot kill a timed-out command on %s: no process id", self._label)
            return
        channel = self._open_session()
        try:
            # "-s KILL" and "--" work in both bash and dash, whose kill rejects "-KILL --".
            channel.exec_command(f"kill -s KILL -- -{process_group}")
            channel.status_event.wait(settings.SSH_CONNECT_TIMEOUT)
        finally:
            channel.close()

    def _open_session(self, window_size: int | None = None) -> paramiko.Channel:
        try:
            return self._transport.open_session(
                window_size=window_size, timeout=settings.SSH_CONNECT_TIMEOUT
            )
        except paramiko.SSHException as error:
            raise self._channel_failed(error) from error

    def _channel_failed(self, error: Exception | None) -> SSHError:
        if not self._transport.is_active():
            return SSHError(
                _("The SSH connection to %(address)s was closed: connect again.")
                % {"address": self._label}
            )
        return SSHError(
            _("Opening an SSH session on %(address)s failed (%(error)s): connect again.")
            % {"address": self._label, "error": error}
        )


def connect(
    host: str,
    *,
    user: str,
    host_key: str | None,
    trust_on_first_use: bool = False,
    port: int = DEFAULT_PORT,
    key_path: str | None = None,
    jump: JumpHost | _Default | None = FROM_SETTINGS,
    timeout: float | None = None,
    keepalive_interval: int = 0,
) -> Connection:
    """Open a connection to host:port as user, authenticated with the key at key_path.

    host_key is the key recorded for the server ("ssh-ed25519 AAAA..."). A
    server that presents another key raises SSHHostKeyMismatch before the
    client authenticates. host_key=None accepts any key, and only together
    with trust_on_first_use=True. timeout (seconds) bounds the whole
    connect: TCP, banner, key exchange and authentication, on the jump host
    too. keepalive_interval sends a keepalive every that many seconds (0 is
    off). key_path, jump and timeout default to the settings SSH_KEY_PATH,
    LXD_SSH_JUMP_HOST and SSH_CONNECT_TIMEOUT.
    """
    if host_key is None and not trust_on_first_use:
        raise ValueError("host_key is None: pass the recorded key, or trust_on_first_use=True.")
    expected_keys = None if host_key is None else [_parse_public_key(host_key)]
    timeout = settings.SSH_CONNECT_TIMEOUT if timeout is None else timeout
    jump = _resolve_jump(jump)
    label = _label(host, port, jump)

    connection = _connect(
        host,
        port,
        label=label,
        credentials=(user, key_path or settings.SSH_KEY_PATH),
        login=f"{user}@{label}",
        expected_keys=expected_keys,
        jump=jump,
        deadline=time.monotonic() + timeout,
        timeout=timeout,
        keepalive_interval=keepalive_interval,
    )
    logger.debug("Connected to %s@%s", user, label)
    return connection


def fetch_host_key(
    host: str,
    *,
    port: int = DEFAULT_PORT,
    jump: JumpHost | _Default | None = FROM_SETTINGS,
    timeout: float | None = None,
) -> str:
    """Return the host key that the server presents, as "ssh-ed25519 AAAA...".

    It does not authenticate. Of several host keys paramiko prefers Ed25519,
    then ECDSA, then RSA, as connect() does when given no expected key.
    """
    timeout = settings.SSH_CONNECT_TIMEOUT if timeout is None else timeout
    jump = _resolve_jump(jump)
    label = _label(host, port, jump)
    connection = _connect(
        host,
        port,
        label=label,
        credentials=None,
        login=label,
        expected_keys=None,
        jump=jump,
        deadline=time.monotonic() + timeout,
        timeout=timeout,
    )
    connection.close()
    return connection.host_key


def wait_for_ssh(
    host: str,
    *,
    port: int = DEFAULT_PORT,
    jump: JumpHost | _Default | None = FROM_SETTINGS,
    timeout: float,
    interval: float = 0.25,
) -> None:
    """Poll host:port every interval seconds until sshd sends its banner.

    Raise SSHTimeout when it has not after timeout seconds. Errors of the
    jump host (refused, authentication, host key) raise at once.
    """
    deadline = time.monotonic() + timeout
    jump = _resolve_jump(jump)
    label = _label(host, port, jump)
    jump_connection = None
    if jump is not None:
        jump_timeout = min(settings.SSH_CONNECT_TIMEOUT, timeout)
        jump_connection = _connect_jump(jump, time.monotonic() + jump_timeout, jump_timeout)

    try:
        while True:
            attempt_timeout = min(settings.SSH_CONNECT_TIMEOUT, deadline - time.monotonic())
            if attempt_timeout > 0 and _read_banner(host, port, jump_connection, attempt_timeout):
                return
            if time.monotonic() + interval >= deadline:
                raise SSHTimeout(
                    _(
                        "sshd at %(address)s did not answer within %(seconds)s s: check that "
                        "the container is running and that its sshd service starts."
                    )
                    % {"address": label, "seconds": f"{timeout:g}"}
                )
            time.sleep(interval)
    finally:
        if jump_connection is not None:
            jump_connection.close()


def ensure_key_pair(path: str | None = None) -> str:
    """Create an Ed25519 key pair at path unless the file exists, and return the public key.

    The public key is returned as a line for authorized_keys ("ssh-ed25519
    AAAA..."). path defaults to SSH_KEY_PATH. The private key is written with
    mode 600, and the public key beside it with ".pub" appended.
    """
    path = path or settings.SSH_KEY_PATH
    key_file = Path(path)
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "wb") as output:
            output.write(
                Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.OpenSSH,
                    serialization.NoEncryption(),
                )
            )
        logger.info("Created the SSH key pair %s", path)

    public_key = _format_public_key(_load_private_key(path))
    public_file = Path(f"{path}.pub")
    if not public_file.exists():
        public_file.write_text(f"{public_key} labsite\n")
    return public_key


def _connect(
    host: str,
    port: int,
    *,
    label: str,
    credentials: tuple[str, str] | None,
    login: str,
    expected_keys: list[paramiko.PKey] | None,
    jump: JumpHost | None,
    deadline: float,
    timeout: float,
    keepalive_interval: int = 0,
) -> Connection:
    """Open a transport to host:port, check its host key and log in.

    credentials is (user, key path), or None to stop before authenticating.
    label names the server in messages and login names the account.
    """
    user: str | None = None
    key_path: str | None = None
    private_key: paramiko.PKey | None = None
    if credentials is not None:
        user, key_path = credentials
        # Read the key before connecting, so that a missing key fails fast.
        private_key = _load_private_key(key_path)
    jump_connection = None
    transport = None
    sock: socket.socket | paramiko.Channel | None = None
    try:
        if jump is not None:
            jump_connection = _connect_jump(jump, deadline, timeout, keepalive_interval)
            sock = _open_forwarded_channel(
                jump_connection, jump, host, port, label, deadline, timeout
            )
        else:
            sock = _open_socket(host, port, label, deadline, timeout)

        transport = paramiko.Transport(sock)
        sock = None  # The transport closes it from here on.
        host_key = _start_client(transport, label, expected_keys, deadline, timeout)
        if user is not None and key_path is not None and private_key is not None:
            _authenticate(transport, user, private_key, key_path, login, deadline, timeout)
        if keepalive_interval:
            transport.set_keepalive(keepalive_interval)
    except BaseException:
        if sock is not None:
            sock.close()
        if transport is not None:
            transport.close()
        if jump_connection is not None:
            jump_connection.close()
        raise

    return Connection(
        transport,
        host=host,
        port=port,
        user=user,
        host_key=host_key,
        label=label,
        jump_connection=jump_connection,
    )


def _connect_jump(
    jump: JumpHost, deadline: float, timeout: float, keepalive_interval: int = 0
) -> Connection:
    label = _("the jump host %(jump)s") % {"jump": jump}
    return _connect(
        jump.host,
        jump.port,
        label=label,
        credentials=(jump.user, jump.key_path),
        login=label,
        expected_keys=_known_host_keys(jump),
        jump=None,
        deadline=deadline,
        timeout=timeout,
        keepalive_interval=keepalive_interval,
    )


def _open_socket(
    host: str, port: int, label: str, deadline: float, timeout: float
) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=_remaining(deadline))
    except TimeoutError as error:
        raise SSHTimeout(
            _(
                "Connecting to %(address)s timed out after %(seconds)s s: check that the "
                "host is running and reachable from the Labsite server."
            )
            % {"address": label, "seconds": f"{timeout:g}"}
        ) from error
    except OSError as error:
        raise SSHError(
            _(
                "Connecting to %(address)s failed (%(error)s): check that the host is "
                "running and that sshd listens on port %(port)s."
            )
            % {"address": label, "error": error.strerror or error, "port": port}
        ) from error
    # Without TCP_NODELAY, Nagle's algorithm holds back each small packet,
    # such as a keystroke, until the previous one is acknowledged.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _open_forwarded_channel(
    jump_connection: Connection,
    jump: JumpHost,
    host: str,
    port: int,
    label: str,
    deadline: float,
    timeout: float,
) -> paramiko.Channel:
    """Open a direct-tcpip channel from the jump host to host:port."""
    try:
        return jump_connection._transport.open_channel(
            "direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=_remaining(deadline)
        )
    except paramiko.ChannelException as error:
        raise SSHError(
            _(
                "The jump host %(jump)s could not connect to %(address)s (%(error)s): "
                "check that the container is running and that the jump host allows TCP "
                "forwarding."
            )
            % {"jump": jump, "address": _format_address(host, port), "error": error.text}
        ) from error
    except paramiko.SSHException as error:
        if time.monotonic() >= deadline:
            raise SSHTimeout(
                _("Connecting to %(address)s timed out after %(seconds)s s.")
                % {"address": label, "seconds": f"{timeout:g}"}
            ) from error
        raise SSHError(
            _("Connecting to %(address)s failed (%(error)s).") % {"address": label, "error": error}
        ) from error


def _gcm_first(ciphers: tuple[str, ...]) -> tuple[str, ...]:
    """Return paramiko's ciphers with AES-GCM first, the others after in their order.

    paramiko prefers AES-CTR with a separate HMAC, which it computes and
    compares in Python for every packet. AES-GCM authenticates inside the
    cipher, so a terminal flooding output costs the server about a third
    less CPU (docs/benchmarks.md). OpenSSH servers offer both.
    """
    gcm = tuple(name for name in ciphers if name.endswith("-gcm@openssh.com"))
    return gcm + tuple(name for name in ciphers if name not in gcm)


def _start_client(
    transport: paramiko.Transport,
    label: str,
    expected_keys: list[paramiko.PKey] | None,
    deadline: float,
    timeout: float,
) -> str:
    """Run the key exchange, check the host key and return it as a public key line."""
    transport.banner_timeout = timeout + PARAMIKO_TIMEOUT_MARGIN
    transport.handshake_timeout = timeout + PARAMIKO_TIMEOUT_MARGIN
    options = transport.get_security_options()
    if expected_keys:
        # Offer only the recorded key types, so that a server with several
        # host keys presents the recorded one rather than its favourite.
        options.key_types = _host_key_algorithms(expected_keys)
    options.ciphers = _gcm_first(options.ciphers)

    negotiated = threading.Event()
    transport.start_client(event=negotiated)
    if not negotiated.wait(_remaining(deadline)):
        raise SSHTimeout(
            _(
                "The SSH handshake with %(address)s timed out after %(seconds)s s: check "
                "that an SSH server listens there and is not overloaded."
            )
            % {"address": label, "seconds": f"{timeout:g}"}
        )
    if not transport.is_active():
        raise SSHError(
            _(
                "The SSH handshake with %(address)s failed (%(error)s): check that an SSH "
                "server listens there."
            )
            % {"address": label, "error": transport.get_exception()}
        )

    presented = transport.get_remote_server_key()
    if expected_keys is None:
        logger.info("Accepted host key %s of %s unchecked", presented.fingerprint, label)
    elif not any(presented.asbytes() == key.asbytes() for key in expected_keys):
        expected = ", ".join(key.fingerprint for key in expected_keys)
        logger.warning(
            "Host key mismatch at %s: presented %s, expected %s",
            label,
            presented.fingerprint,
            expected,
        )
        raise SSHHostKeyMismatch(
            _(
                "The host key of %(address)s is %(presented)s, not the recorded "
                "%(expected)s. If the server was reinstalled, record its new key; "
                "otherwise someone may be intercepting the connection."
            )
            % {"address": label, "presented": presented.fingerprint, "expected": expected}
        )
    return _format_public_key(presented)


def _authenticate(
    transport: paramiko.Transport,
    user: str,
    private_key: paramiko.PKey,
    key_path: str,
    login: str,
    deadline: float,
    timeout: float,
) -> None:
    transport.auth_timeout = timeout + PARAMIKO_TIMEOUT_MARGIN
    answered = threading.Event()
    transport.auth_publickey(user, private_key, event=answered)
    if not answered.wait(_remaining(deadline)):
        raise SSHTimeout(
            _("SSH authentication for %(login)s timed out after %(seconds)s s.")
            % {"login": login, "seconds": f"{timeout:g}"}
        )
    if not transport.is_authenticated():
        raise SSHAuthenticationFailed(
            _(
                "SSH authentication failed for %(login)s: check that the key at %(path)s "
                "exists, has mode 600, and that its public key is in the authorized_keys "
                "of %(user)s."
            )
            % {"login": login, "path": key_path, "user": user}
        )


def _start_workers(
    channel: paramiko.Channel,
    stdin: bytes,
    stdout: _Tail,
    stderr: _Tail,
    recv_stderr: Callable[[int], bytes],
) -> list[threading.Thread]:
    """Start threads that read stdout and stderr and write stdin; return them in that order.

    Each stream blocks in a thread of its own, so a command that writes
    megabytes to one stream while the other is idle never stalls. Closing
    the channel wakes and ends all three.
    """
    workers = [
        threading.Thread(target=stdout.read_all, args=(channel.recv,), name="ssh-stdout"),
        threading.Thread(target=stderr.read_all, args=(recv_stderr,), name="ssh-stderr"),
        threading.Thread(target=_send_all, args=(channel, stdin), name="ssh-stdin"),
    ]
    for worker in workers:
        worker.daemon = True
        worker.start()
    return workers


def _send_all(channel: paramiko.Channel, data: bytes) -> None:
    """Send data and then EOF, as fast as the server's channel window allows."""
    try:
        channel.sendall(data)
        channel.shutdown_write()
    except (OSError, EOFError, paramiko.SSHException):
        # The command ended, or timed out, before it read all of its stdin.
        pass


class _Tail:
    """The last `limit` bytes of a stream, and whether more came before them."""

    def __init__(self, limit: int):
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def read_all(self, recv: Callable[[int], bytes]) -> None:
        """Append what recv returns until it returns b"" at EOF or when the channel closes."""
        while chunk := recv(CHUNK_SIZE):
            self.data += chunk
            if len(self.data) > self.limit:
                del self.data[: len(self.data) - self.limit]
                self.truncated = True


class _ProcessGroupLine:
    """A stderr reader that takes the line "labsite-pgid=<id>" off the front.

    run() prefixes each command with an echo of that line. The shell that
    sshd starts for a command leads a new session, so its process id is the
    id of the command's process group. Processes that start a group of their
    own (setsid, job control) leave that group and survive a kill.
    """

    def __init__(self, recv: Callable[[int], bytes]):
        self._recv = recv
        self._head = b""
        self._done = False
        self.process_group: int | None = None

    def __call__(self, size: int) -> bytes:
        if self._done:
            return self._recv(size)
        while True:
            chunk = self._recv(size)
            if not chunk:
                self._done = True
                return self._head
            self._head += chunk
            line, newline, rest = self._head.partition(b"\n")
            if newline or len(self._head) > 64:
                break

        self._done = True
        number = line.removeprefix(PROCESS_GROUP_PREFIX)
        if newline and line.startswith(PROCESS_GROUP_PREFIX) and number.isdigit():
            self.process_group = int(number)
            data = rest
        else:
            data = self._head
        self._head = b""
        # An empty chunk would mean EOF, so read on when nothing followed the line.
        return data or self._recv(size)


def _read_banner(host: str, port: int, jump_connection: Connection | None, timeout: float) -> bool:
    """Return whether a connection to host:port receives an SSH banner within timeout."""
    try:
        if jump_connection is not None:
            stream = jump_connection._transport.open_channel(
                "direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=timeout
            )
        else:
            stream = socket.create_connection((host, port), timeout=timeout)
    except (OSError, paramiko.SSHException) as error:
        logger.debug("No connection to %s:%s yet: %s", host, port, error)
        return False

    deadline = time.monotonic() + timeout
    received = b""
    try:
        # sshd sends its banner ("SSH-2.0-...") first, but the SSH protocol
        # allows a server to send other lines before it.
        while b"\n" not in received and len(received) < 1024:
            stream.settimeout(_remaining(deadline))
            chunk = stream.recv(256)
            if not chunk:
                break
            received += chunk
            if b"SSH-" in received:
                return True
    except (OSError, paramiko.SSHException) as error:
        logger.debug("No SSH banner from %s:%s yet: %s", host, port, error)
    finally:
        stream.close()
    return b"SSH-" in received


def _load_private_key(path: str) -> paramiko.PKey:
    try:
        key = paramiko.PKey.from_path(path)
    except FileNotFoundError as error:
        raise SSHError(
            _(
                "The SSH private key %(path)s does not exist: check SSH_KEY_PATH and "
                "LXD_SSH_JUMP_KEY_PATH, or create the key."
            )
            % {"path": path}
        ) from error
    except OSError as error:
        raise SSHError(
            _(
                "The SSH private key %(path)s cannot be read (%(error)s): check that it "
                "belongs to the user running Labsite and has mode 600."
            )
            % {"path": path, "error": error.strerror or error}
        ) from error
    except TypeError as error:
        # cryptography raises TypeError for an encrypted key without a password.
        raise SSHError(
            _(
                "The SSH private key %(path)s is encrypted: Labsite needs a key without "
                "a passphrase."
            )
            % {"path": path}
        ) from error
    except (ValueError, paramiko.SSHException) as error:
        # The error is not shown, because its text may quote the file.
        raise SSHError(
            _(
                "The file %(path)s is not an SSH private key that Labsite can use: it "
                "must be an Ed25519, ECDSA or RSA key in OpenSSH or PEM format."
            )
            % {"path": path}
        ) from error

    if os.stat(path).st_mode & 0o077:
        logger.warning("SSH private key %s is readable by other users; set its mode to 600", path)
    return key


def _known_host_keys(jump: JumpHost) -> list[paramiko.PKey]:
    """Return the keys that jump.known_hosts_path records for the jump host."""
    if not jump.known_hosts_path:
        raise SSHHostKeyUnknown(
            _(
                "The host key of the jump host %(jump)s cannot be checked, because "
                "LXD_SSH_JUMP_KNOWN_HOSTS is not set: set it to a known_hosts file that "
                "contains the jump host's key."
            )
            % {"jump": jump}
        )
    known_hosts = paramiko.HostKeys()
    try:
        known_hosts.load(jump.known_hosts_path)
    except OSError as error:
        raise SSHError(
            _(
                "The known_hosts file %(path)s cannot be read (%(error)s): check "
                "LXD_SSH_JUMP_KNOWN_HOSTS."
            )
            % {"path": jump.known_hosts_path, "error": error.strerror or error}
        ) from error
    except (ValueError, paramiko.SSHException, binascii.Error) as error:
        raise SSHError(
            _(
                "The known_hosts file %(path)s is invalid (%(error)s): check "
                "LXD_SSH_JUMP_KNOWN_HOSTS."
            )
            % {"path": jump.known_hosts_path, "error": error}
        ) from error

    # OpenSSH writes a host on the default port as "host", on others as "[host]:port".
    name = jump.host if jump.port == DEFAULT_PORT else f"[{jump.host}]:{jump.port}"
    entry = known_hosts.lookup(name)
    if not entry:
        raise SSHHostKeyUnknown(
            _(
                "The known_hosts file %(path)s has no key for the jump host %(jump)s: add a "
                "line for %(name)s, for example with ssh-keyscan, after checking its "
                "fingerprint on the jump host."
            )
            % {"path": jump.known_hosts_path, "jump": jump, "name": name}
        )
    return list(entry.values())


def _parse_public_key(line: str) -> paramiko.PKey:
    """Parse "ssh-ed25519 AAAA... [comment]", raising ValueError for anything else."""
    fields = line.split()
    if len(fields) < 2:
        raise ValueError(f"Not an OpenSSH public key line: {line!r}")
    try:
        return paramiko.PKey.from_type_string(fields[0], base64.b64decode(fields[1]))
    except (binascii.Error, paramiko.SSHException, ValueError) as error:
        raise ValueError(f"Not an OpenSSH public key line: {line!r}") from error


def _format_public_key(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


def _host_key_algorithms(keys: list[paramiko.PKey]) -> list[str]:
    algorithms = []
    for key in keys:
        if key.get_name() == "ssh-rsa":
            # An RSA host key signs with SHA-2 (paramiko 5 dropped SHA-1 "ssh-rsa").
            algorithms += ["rsa-sha2-512", "rsa-sha2-256"]
        else:
            algorithms.append(key.get_name())
    return list(dict.fromkeys(algorithms))


def _resolve_jump(jump: JumpHost | _Default | None) -> JumpHost | None:
    return JumpHost.from_settings() if jump is FROM_SETTINGS else jump


def _format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _label(host: str, port: int, jump: JumpHost | None) -> str:
    """Name host:port in messages, with the jump host when there is one."""
    address = _format_address(host, port)
    if jump is None:
        return address
    return _("%(address)s through the jump host %(jump)s") % {"address": address, "jump": jump}


def _remaining(deadline: float) -> float:
    # A socket timeout of 0 would mean non-blocking, so never go below 1 ms.
    return max(deadline - time.monotonic(), 0.001)
