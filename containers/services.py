"""Writes of the container layer: every change to a container goes through here.

These functions block on LXD and SSH; async views and the consumer run them
in a thread.
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from containers import checks, lxd, selectors, ssh
from containers.errors import ContainerError
from containers.models import Container, ContainerEvent, Kind, Status

logger = logging.getLogger(__name__)

# Home of the account students work as; the image makes it with uid 1000.
STUDENT_HOME = "/home/student"
STUDENT_UID = 1000


def lifetime(kind):
    hours = {
        Kind.SANDBOX: settings.SANDBOX_LIFETIME_HOURS,
        Kind.LAB: settings.LAB_CONTAINER_LIFETIME_HOURS,
        Kind.EXAM: settings.EXAM_CONTAINER_LIFETIME_HOURS,
    }[kind]
    return timedelta(hours=hours)


def instance_config(container):
    """Return the LXD config of a new container: limits and isolation."""
    return {
        "limits.cpu": settings.CONTAINER_CPU,
        "limits.memory": settings.CONTAINER_MEMORY,
        "limits.memory.enforce": "hard",
        "limits.memory.swap": "false",
        "limits.processes": str(settings.CONTAINER_PROCESSES),
        "security.privileged": "false",
        "security.nesting": "false",
        # Each container gets its own host uid range, so root in one
        # container is a different host user from root in another.
        "security.idmap.isolated": "true",
        "user.labsite.kind": container.kind,
    }


def instance_devices():
    return {
        "root": {
            "type": "disk",
            "path": "/",
            "pool": settings.LXD_STORAGE_POOL,
            "size": settings.CONTAINER_DISK,
        }
    }


def platform_public_key():
    path = Path(f"{settings.SSH_KEY_PATH}.pub")
    try:
        return path.read_bytes()
    except OSError as error:
        raise ContainerError(
            _(
                "The platform's SSH public key %(path)s cannot be read (%(reason)s): "
                "run scripts/setup-lxd.sh or set SSH_KEY_PATH."
            )
            % {"path": path, "reason": error.strerror}
        ) from error


def set_status(container, status, message="", **fields):
    """Store a new status with its time, and record the change in the history."""
    container.status = status
    container.status_changed_at = timezone.now()
    for name, value in fields.items():
        setattr(container, name, value)
    with transaction.atomic():
        container.save()
        ContainerEvent.objects.create(
            container=container, status=status, at=container.status_changed_at, message=message
        )
    logger.info(
        "container %s: status %s (owner=%s kind=%s)",
        container.name,
        status,
        container.owner_id,
        container.kind,
    )


def create_container(*, owner, kind, image=None):
    """Create, start and record a container; return it running and reachable by SSH.

    On any failure the half-made LXD instance is deleted and the row removed
    before the error is raised, so nothing claims a container that is not there.
    """
    container = Container.objects.create(
        owner=owner,
        kind=kind,
        image=image or settings.LXD_IMAGE,
        expires_at=timezone.now() + lifetime(kind),
    )
    ContainerEvent.objects.create(container=container, status=Status.CREATING)
    logger.info("container %s: creating (owner=%s kind=%s)", container.name, owner.pk, kind)

    try:
        address, host_key = provision_instance(container)
    except Exception as error:
        _discard(container, error)
        raise

    set_status(container, Status.RUNNING, ip_address=address, host_key=host_key)
    return container


def provision_instance(container):
    """Create and start the LXD instance of a container; return its address and host key.

    It reads only the container's name, kind and image, so the row need not
    be saved. On failure the instance may be left half-made: the caller cleans up.
    """
    public_key = platform_public_key()
    lxd.create_instance(
        container.name,
        image=container.image,
        profiles=[settings.LXD_PROFILE],
        config=instance_config(container),
        devices=instance_devices(),
        description=f"Labsite {container.kind} container",
    )
    # The key goes in before the first boot, so sshd never runs without it.
    _install_public_key(container.name, public_key)
    lxd.start_instance(container.name)
    return _wait_until_reachable(container)


# Second uid-0 account of the lab image that runs check scripts; its login
# shell reads no start-up files that a student could change.
CHECK_ACCOUNT_HOME = "/var/lib/labsite-check"


def _install_public_key(name, public_key):
    lxd.push_file(name, "/root/.ssh/authorized_keys", public_key, mode=0o600)
    lxd.push_file(name, f"{CHECK_ACCOUNT_HOME}/.ssh/authorized_keys", public_key, mode=0o600)
    lxd.push_file(
        name,
        f"{STUDENT_HOME}/.ssh/authorized_keys",
        public_key,
        uid=STUDENT_UID,
        gid=STUDENT_UID,
        mode=0o600,
    )


def _wait_until_reachable(container):
    """Return the address and SSH host key of a container that has just started."""
    timeout = settings.CONTAINER_BOOT_TIMEOUT
    address = lxd.wait_for_address(container.name, timeout=timeout)
    ssh.wait_for_ssh(address, timeout=timeout)
    host_key = ssh.fetch_host_key(address)
    return address, host_key


def _discard(container, error):
    logger.warning("container %s: creation failed: %s", container.name, error)
    try:
        lxd.delete_instance(container.name)
    except ContainerError:
        # Reconciliation deletes the instance later: its row is gone.
        logger.exception("container %s: cleanup after failed creation failed", container.name)
    container.delete()


class SetupFailed(ContainerError):
    code = "setup_failed"


def create_prepared_container(*, owner, kind, image=None, setup_script=""):
    """Create a container and run a setup script in it as root; return it running.

    Raises SetupFailed, with the script's output, when the script fails; the
    container is deleted then, as it is on any other error.
    """
    container = create_container(owner=owner, kind=kind, image=image)
    if not setup_script.strip():
        return container
    try:
        [result] = checks.run_checks(container, [setup_script])
    except ContainerError:
        delete_container(container)
        raise
    if not result.passed:
        delete_container(container)
        logger.warning(
            "container %s: setup script failed for user %s: %s",
            container.name,
            owner.pk,
            result.feedback,
        )
        raise SetupFailed(
            _("The setup script failed, so the container cannot be used. Tell your "
              "instructor. Its output was: %(output)s") % {"output": result.feedback or _("(none)")}
        )  # fmt: skip
    return container


def get_or_create_sandbox(*, owner):
    """Return the owner's live sandbox and whether it was created now."""
    existing = selectors.sandbox_of(owner)
    if existing is not None:
        return existing, False
    try:
        return create_container(owner=owner, kind=Kind.SANDBOX), True
    except IntegrityError:
        # Another request created the sandbox between the lookup and the insert.
        return Container.objects.live().get(owner=owner, kind=Kind.SANDBOX), False


def stop_container(container):
    lxd.stop_instance(container.name)
    set_status(container, Status.STOPPED, ip_address=None)


def start_container(container):
    """Start a stopped container and wait until SSH responds with the recorded host key."""
    lxd.start_instance(container.name)
    address = lxd.wait_for_address(container.name, timeout=settings.CONTAINER_BOOT_TIMEOUT)
    ssh.wait_for_ssh(address, timeout=settings.CONTAINER_BOOT_TIMEOUT)
    set_status(container, Status.RUNNING, ip_address=address, last_activity_at=timezone.now())


def delete_container(container):
    """Delete the LXD instance and mark the row deleted; the row stays as history."""
    set_status(container, Status.DELETING)
    lxd.delete_instance(container.name)
    set_status(container, Status.DELETED, ip_address=None)


def reset_sandbox(container):
    """Replace a sandbox by a fresh one from the image; return the new container."""
    owner = container.owner
    delete_container(container)
    return create_container(owner=owner, kind=Kind.SANDBOX, image=container.image)


# Kills every process of the student's login sessions: those of uid 1000
# and, through the cgroup of the user's slice, what they started with sudo
# or detached with setsid. System services are left running. Commands are
# named by absolute path, because a student with sudo may change PATH's
# directories, but not without changing the image's own binaries.
END_STUDENT_PROCESSES = f"""
/usr/bin/systemctl kill --signal=KILL user-{STUDENT_UID}.slice 2>/dev/null
for attempt in 1 2 3 4 5; do
    /usr/bin/pkill -KILL -U {STUDENT_UID} || exit 0
    /usr/bin/sleep 0.2
done
/usr/bin/pgrep -U {STUDENT_UID} >/dev/null && exit 1
exit 0
"""


def end_student_processes(container):
    """End every process the student started in the container; raise ContainerError on failure."""
    with ssh.connect(
        container.ip_address, user=checks.CHECK_USER, host_key=container.host_key
    ) as connection:
        result = connection.run(
            f"exec /usr/bin/env -i PATH={checks.CHECK_PATH} /bin/sh -s",
            stdin=END_STUDENT_PROCESSES.encode(),
            timeout=30,
            max_output=4096,
        )
    if result.exit_status != 0:
        raise ContainerError(
            _("The student's processes in container %(name)s could not be ended: %(output)s")
            % {"name": container.name, "output": result.stdout.decode(errors="replace")[-500:]}
        )
    logger.info("container %s: student processes ended", container.name)


def archive_snapshot(container, snapshot, *, days):
    """Copy a snapshot of the container to a new stopped container kept for days; return it.

    The copy outlives the container, whose deletion removes its snapshots.
    """
    archive = Container(
        owner=container.owner,
        kind=container.kind,
        image=container.image,
        status=Status.CREATING,
        expires_at=timezone.now() + timedelta(days=days),
    )
    archive.save()
    ContainerEvent.objects.create(
        container=archive, status=Status.CREATING, message=f"copy of {container.name}/{snapshot}"
    )
    try:
        lxd.copy_instance(
            container.name,
            archive.name,
            snapshot=snapshot,
            description=f"Labsite copy of {container.name}/{snapshot}",
        )
    except Exception as error:
        _discard(archive, error)
        raise
    set_status(archive, Status.STOPPED, message=f"copy of {container.name}/{snapshot}")
    return archive


def start_copy(source, *, owner, kind):
    """Create and start a new container as a copy of the stopped container source."""
    container = Container.objects.create(
        owner=owner, kind=kind, image=source.image, expires_at=timezone.now() + lifetime(kind)
    )
    ContainerEvent.objects.create(
        container=container, status=Status.CREATING, message=f"copy of {source.name}"
    )
    try:
        lxd.copy_instance(source.name, container.name, description=f"Labsite copy of {source.name}")
        lxd.start_instance(container.name)
        address, host_key = _wait_until_reachable(container)
    except Exception as error:
        _discard(container, error)
        raise
    set_status(container, Status.RUNNING, ip_address=address, host_key=host_key)
    return container


def connect(container, *, user):
    """Open an SSH connection to a running container, checking its recorded host key."""
    return ssh.connect(container.ip_address, user=user, host_key=container.host_key)
