"""A real OpenSSH server for tests, on 127.0.0.1 at a free port.

Each SSHServer runs `/usr/sbin/sshd -D -e` with its own configuration, its
own Ed25519 host key and its own authorized_keys file, all in a directory of
its own. Clients log in as the user who runs the tests, since sshd can only
log in existing accounts.
"""

import getpass
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"
HOST = "127.0.0.1"
# Privilege separation directory that sshd refuses to start without.
PRIVSEP_DIRECTORY = Path("/run/sshd")


def generate_key(path: Path) -> str:
    """Create an Ed25519 key pair with ssh-keygen and return the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "labsite-test", "-f", str(path)],
        check=True,
    )
    path.chmod(0o600)
    return Path(f"{path}.pub").read_text().strip()


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class SSHServer:
    """An sshd for tests, used as a context manager or with start() and stop()."""

    def __init__(self, directory: Path, *, authorized_keys: list[str], extra_config: str = ""):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host = HOST
        self.port = 0
        self.user = getpass.getuser()
        self.host_key_path = self.directory / "ssh_host_ed25519_key"
        self.host_key = generate_key(self.host_key_path).rsplit(" ", 1)[0]
        self.authorized_keys_path = self.directory / "authorized_keys"
        self.authorized_keys_path.write_text("".join(f"{key}\n" for key in authorized_keys))
        self.config_path = self.directory / "sshd_config"
        self.log_path = self.directory / "sshd.log"
        self.extra_config = extra_config
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "SSHServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def known_hosts_line(self) -> str:
        """Return this server's line for a known_hosts file."""
        return f"[{self.host}]:{self.port} {self.host_key}\n"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def start(self, port: int | None = None) -> None:
        """Start sshd on port (a free one by default) and wait until it accepts connections."""
        PRIVSEP_DIRECTORY.mkdir(mode=0o755, exist_ok=True)
        # Another program may take a free port before sshd binds it, so a
        # failed start is tried again on a fresh port.
        attempts = 1 if port else 3
        for _attempt in range(attempts):
            self.port = port or free_port()
            self._write_config()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [SSHD, "-D", "-e", "-f", str(self.config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
            if self._wait_until_listening(timeout=10):
                return
            self.stop()
        raise RuntimeError(f"sshd failed to start on {self.address}. Its log:\n{self.log()}")

    def stop(self) -> None:
        """Stop sshd and the processes it forked for open connections."""
        if self.process is None:
            return
        sessions = _children(self.process.pid)
        self.process.terminate()
        for pid in sessions:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _write_config(self) -> None:
        self.config_path.write_text(
            f"ListenAddress {self.host}:{self.port}\n"
            f"HostKey {self.host_key_path}\n"
            f"PidFile {self.directory / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.authorized_keys_path}\n"
            # The key files live in a temporary directory that sshd would
            # otherwise reject for its owner and mode.
            "StrictModes no\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n"
            "UsePAM no\n"
            "AllowTcpForwarding yes\n"
            "AcceptEnv LANG LC_*\n"
            "PrintMotd no\n"
            "PrintLastLog no\n"
            f"{self.extra_config}"
        )

    def _wait_until_listening(self, timeout: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as probe:
                    if probe.recv(4).startswith(b"SSH-"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False


def _children(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is pid, read from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in brackets may contain spaces, so fields are
        # counted from the closing bracket: state, then the parent's id.
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent == pid:
            children.append(int(entry.name))
    return children
