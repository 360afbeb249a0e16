"""The container layer's upkeep pass: idle sandboxes, expired containers, reconciliation."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from containers import lxd, services
from containers.errors import ContainerError
from containers.models import Container, Kind, Status, name_prefix

logger = logging.getLogger(__name__)

# A row still "creating" after this long belongs to a request that died.
STALE_CREATION = timedelta(minutes=10)


def run():
    """Run one round of container upkeep. Each step logs and survives its own failures."""
    stop_idle_sandboxes()
    delete_expired_containers()
    reconcile_with_lxd()


def stop_idle_sandboxes():
    cutoff = timezone.now() - timedelta(minutes=settings.SANDBOX_IDLE_MINUTES)
    idle = Container.objects.filter(
        kind=Kind.SANDBOX, status=Status.RUNNING, last_activity_at__lt=cutoff
    )
    for container in idle:
        logger.info(
            "upkeep: stopping idle sandbox %s of user %s (last activity %s)",
            container.name,
            container.owner_id,
            container.last_activity_at.isoformat(),
        )
        _apply(services.stop_container, container)


def delete_expired_containers():
    expired = (
        Container.objects.live()
        .filter(expires_at__lt=timezone.now())
        .exclude(status=Status.CREATING)
    )
    for container in expired:
        logger.info(
            "upkeep: deleting expired container %s of user %s (expired %s)",
            container.name,
            container.owner_id,
            container.expires_at.isoformat(),
        )
        _apply(services.delete_container, container)


def reconcile_with_lxd():
    """Make LXD and the database agree, both ways.

    The instance list is read before the rows: a row is committed before its
    instance is created, so every instance listed has its row by then.
    """
    try:
        instances = set(lxd.list_instances(name_prefix()))
    except ContainerError as error:
        logger.warning("upkeep: reconciliation skipped, LXD is not reachable: %s", error)
        return
    live = {container.name: container for container in Container.objects.live()}
    for container in _stale_creations(live.values()):
        _discard_stale_creation(container)
        instances.discard(container.name)
        del live[container.name]

    for name in sorted(instances - set(live)):
        logger.info("upkeep: deleting LXD instance %s, which has no live row", name)
        try:
            lxd.delete_instance(name)
        except ContainerError:
            logger.exception("upkeep: deleting orphan instance %s failed", name)

    for name, container in live.items():
        if name in instances:
            continue
        if container.status == Status.CREATING:
            continue
        logger.info(
            "upkeep: marking container %s of user %s deleted: its LXD instance is gone",
            name,
            container.owner_id,
        )
        services.set_status(
            container, Status.DELETED, message="instance missing in LXD", ip_address=None
        )


def _stale_creations(containers):
    cutoff = timezone.now() - STALE_CREATION
    return [
        container
        for container in containers
        if container.status == Status.CREATING and container.status_changed_at < cutoff
    ]


def _discard_stale_creation(container):
    logger.info(
        "upkeep: removing container row %s of user %s, stuck in creation since %s",
        container.name,
        container.owner_id,
        container.status_changed_at.isoformat(),
    )
    try:
        lxd.delete_instance(container.name)
    except ContainerError:
        logger.exception("upkeep: deleting instance %s of a stale creation failed", container.name)
        return
    container.delete()


def _apply(action, container):
    try:
        action(container)
    except ContainerError:
        logger.exception(
            "upkeep: %s failed for container %s of user %s",
            action.__name__,
            container.name,
            container.owner_id,
        )
