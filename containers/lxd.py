"""The platform's LXD client: the only module that imports pylxd.

Every function here is blocking; async callers run them in a thread. Errors
of pylxd, requests and LXD itself leave this module as the project's own
exceptions from containers.errors, with messages that name what to check.
"""

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import pylxd
import requests
from django.conf import settings
from django.utils.translation import gettext as _
from pylxd import exceptions as pylxd_exceptions

from containers.errors import LXDError, LXDNotFound, LXDUnreachable

logger = logging.getLogger(__name__)

# Seconds to wait for LXD's response to one API request. Creating an instance
# from a cached image takes about a second on a copy-on-write pool.
REQUEST_TIMEOUT = (5, 120)

_client_lock = threading.RLock()
_client = None


@dataclass(frozen=True)
class InstanceState:
    status: str  # LXD's words: "Running", "Stopped", "Frozen", ...
    ipv4: str | None
    processes: int


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: bytes
    stderr: bytes


def endpoint_description():
    return settings.LXD_ENDPOINT or _("the local LXD unix socket")


def _connect():
    endpoint = settings.LXD_ENDPOINT
    if not endpoint:
        return pylxd.Client(project=settings.LXD_PROJECT, timeout=REQUEST_TIMEOUT)

    cert = (settings.LXD_CERT_PATH, settings.LXD_KEY_PATH)
    if not all(cert) or not settings.LXD_SERVER_CERT_PATH:
        raise LXDUnreachable(
            _(
                "LXD_ENDPOINT is %(endpoint)s but LXD_CERT_PATH, LXD_KEY_PATH or "
                "LXD_SERVER_CERT_PATH is not set: set all three to reach LXD over HTTPS."
            )
            % {"endpoint": endpoint}
        )
    # Given a file, pylxd pins the server to that certificate's fingerprint,
    # whatever host name the certificate carries. requests would still put
    # REQUESTS_CA_BUNDLE from the environment in its place, which breaks the
    # pinning, so the session must not read the environment.
    session = pylxd.client.get_session_for_url(
        endpoint, cert=cert, verify=settings.LXD_SERVER_CERT_PATH
    )
    session.trust_env = False
    return pylxd.Client(
        endpoint=endpoint,
        cert=cert,
        project=settings.LXD_PROJECT,
        timeout=REQUEST_TIMEOUT,
        session=session,
    )


def get_client():
    """Return the shared pylxd client, connecting on first use."""
    global _client
    with _client_lock:
        if _client is None:
            with translate_errors():
                _client = _connect()
        return _client


def reset_client():
    """Forget the shared client, so the next call connects anew (after settings change)."""
    global _client
    with _client_lock:
        _client = None


@contextmanager
def translate_errors(instance_name=None):
    """Turn pylxd and requests errors into the project's LXD exceptions."""
    try:
        yield
    except pylxd_exceptions.NotFound as error:
        raise LXDNotFound(
            _("LXD has no instance %(name)s in project %(project)s.")
            % {"name": instance_name or "?", "project": settings.LXD_PROJECT}
        ) from error
    except pylxd_exceptions.LXDAPIException as error:
        raise LXDError(
            _("LXD rejected the request for %(name)s: %(reason)s")
            % {"name": instance_name or _("the server"), "reason": error}
        ) from error
    except pylxd_exceptions.ClientConnectionFailed as error:
        reset_client()
        # pylxd turns a failed TLS handshake into ClientConnectionFailed.
        if isinstance(error.__context__, requests.exceptions.SSLError):
            raise _tls_failed() from error
        raise _connection_refused() from error
    except requests.exceptions.SSLError as error:
        raise _tls_failed() from error
    except (
        requests.exceptions.ConnectionError,
        requests.exceptions.Timeout,
        FileNotFoundError,
    ) as error:
        reset_client()
        raise _connection_refused() from error


def _tls_failed():
    return LXDUnreachable(
        _(
            "The TLS handshake with LXD at %(endpoint)s failed: check "
            "LXD_SERVER_CERT_PATH and that LXD trusts the certificate at LXD_CERT_PATH."
        )
        % {"endpoint": endpoint_description()}
    )


def _connection_refused():
    return LXDUnreachable(
        _(
            "LXD refused the connection at %(endpoint)s: check LXD_ENDPOINT "
            "and the certificate paths, and that the LXD daemon runs."
        )
        % {"endpoint": endpoint_description()}
    )


def check_connection():
    """Return LXD's server version, or raise LXDUnreachable."""
    with translate_errors():
        return get_client().host_info["environment"]["server_version"]


def create_instance(name, *, image, profiles, config, devices, description=""):
    """Create a stopped container from an image alias; wait until LXD is done."""
    request = {
        "name": name,
        "type": "container",
        "source": {"type": "image", "alias": image},
        "profiles": profiles,
        "config": config,
        "devices": devices,
        "description": description,
    }
    try:
        with translate_errors(name):
            get_client().instances.create(request, wait=True)
    except LXDNotFound as error:
        # LXD returns 404 for a missing image, and the instance does not exist yet.
        raise LXDError(
            _(
                "LXD has no image %(image)s in project %(project)s: run "
                "scripts/setup-lxd.sh, or set LXD_IMAGE to an image alias of that project."
            )
            % {"image": image, "project": settings.LXD_PROJECT}
        ) from error
    logger.info("lxd instance created: %s from %s", name, image)


def start_instance(name):
    with translate_errors(name):
        get_client().instances.get(name).start(wait=True)


def stop_instance(name, *, force=False, timeout=30):
    with translate_errors(name):
        instance = get_client().instances.get(name)
        if instance.status != "Stopped":
            instance.stop(force=force, timeout=timeout, wait=True)


def delete_instance(name):
    """Stop and delete an instance; an instance that is gone already is fine."""
    try:
        with translate_errors(name):
            instance = get_client().instances.get(name)
            if instance.status != "Stopped":
                instance.stop(force=True, wait=True)
            instance.delete(wait=True)
    except LXDNotFound:
        logger.info("lxd instance %s was gone already", name)
        return
    logger.info("lxd instance deleted: %s", name)


def instance_exists(name):
    with translate_errors(name):
        return get_client().instances.exists(name)


def list_instances(prefix):
    """Return the names of all instances in the project that start with prefix."""
    # Raw API with recursion: pylxd 2.4's instances.all() keeps "?project=..."
    # in the names it parses from the instance URLs.
    with translate_errors():
        response = get_client().api.instances.get(params={"recursion": 1})
    return sorted(
        instance["name"]
        for instance in response.json()["metadata"]
        if instance["name"].startswith(prefix)
    )


def get_state(name):
    with translate_errors(name):
        instance = get_client().instances.get(name)
        state = instance.state()
    return InstanceState(
        status=instance.status,
        ipv4=_ipv4_address(state.network or {}),
        processes=state.processes or 0,
    )


def _ipv4_address(network, interface="eth0"):
    for address in network.get(interface, {}).get("addresses", []):
        if address.get("family") == "inet" and address.get("scope") == "global":
            return address["address"]
    return None


def wait_for_address(name, *, timeout):
    """Return the instance's IPv4 address once DHCP gave it one."""
    deadline = time.monotonic() + timeout
    while True:
        state = get_state(name)
        if state.ipv4:
            return state.ipv4
        if state.status != "Running":
            raise LXDError(
                _(
                    "The instance %(name)s stopped while waiting for its address "
                    "(status %(status)s): check its console log with lxc console --show-log."
                )
                % {"name": name, "status": state.status}
            )
        if time.monotonic() > deadline:
            raise LXDError(
                _(
                    "The instance %(name)s got no IPv4 address within %(seconds)d seconds: "
                    "check the DHCP service of the LXD bridge network."
                )
                % {"name": name, "seconds": timeout}
            )
        time.sleep(0.1)


def execute(name, command, *, stdin=None, environment=None):
    """Run a command (a list of arguments) in the instance through LXD's exec API."""
    with translate_errors(name):
        instance = get_client().instances.get(name)
        result = instance.execute(
            command, environment=environment, stdin_payload=stdin, decode=False
        )
    return ExecResult(exit_code=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def push_file(name, path, content, *, uid=0, gid=0, mode=0o644):
    """Write content (bytes) to path in the instance through LXD's file API."""
    with translate_errors(name):
        instance = get_client().instances.get(name)
        instance.files.put(path, content, mode=oct(mode)[2:], uid=uid, gid=gid)


def make_directory(name, path, *, uid=0, gid=0, mode=0o755):
    with translate_errors(name):
        instance = get_client().instances.get(name)
        instance.files.mk_dir(path, mode=oct(mode)[2:], uid=uid, gid=gid)


def create_snapshot(name, snapshot):
    with translate_errors(name):
        get_client().instances.get(name).snapshots.create(snapshot, wait=True)


def snapshot_exists(name, snapshot):
    with translate_errors(name):
        instance = get_client().instances.get(name)
    try:
        with translate_errors(f"{name}/{snapshot}"):
            instance.snapshots.get(snapshot)
    except LXDNotFound:
        return False
    return True


def copy_instance(source, name, *, snapshot=None, description=""):
    """Create the stopped instance name as a copy of source, or of its snapshot.

    The copy gets the source's profiles, config and devices, because LXD's
    API copies only the disk (the lxc client copies the rest itself), and
    none of its snapshots. On a copy-on-write storage pool (btrfs, zfs) it
    takes about as long as creating from an image.
    """
    origin = f"{source}/{snapshot}" if snapshot else source
    with translate_errors(origin):
        instance = get_client().instances.get(source)
        request = {
            "name": name,
            "source": {"type": "copy", "source": origin, "instance_only": True},
            "profiles": instance.profiles,
            # volatile keys (MAC address, id map) are LXD's own; the copy gets new ones.
            "config": {
                key: value
                for key, value in instance.config.items()
                if not key.startswith("volatile.")
            },
            "devices": instance.devices,
            "description": description,
        }
        get_client().instances.create(request, wait=True)
    logger.info("lxd instance created: %s as a copy of %s", name, origin)
