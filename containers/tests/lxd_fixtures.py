"""Fixtures for tests against the real local LXD set up by scripts/setup-lxd.sh."""

import pytest
from django.conf import settings

from containers import lxd, services
from containers.models import Container, Kind, name_prefix


@pytest.fixture(scope="session")
def lxd_available():
    """Fail with instructions when the test run has no LXD settings."""
    if not settings.LXD_ENDPOINT:
        pytest.fail(
            "LXD_ENDPOINT is not set: run the tests through scripts/test.sh, which sets "
            "LXD up and loads var/lxd.env, or export the variables of var/lxd.env."
        )
    lxd.reset_client()
    lxd.check_connection()


@pytest.fixture
def lxd_cleanup(lxd_available):
    """Delete every platform instance that a test made and left behind."""
    before = set(lxd.list_instances(name_prefix()))
    yield
    lxd.reset_client()
    for name in set(lxd.list_instances(name_prefix())) - before:
        lxd.delete_instance(name)


# Shared test instances have no row, so their names must not carry the
# platform's prefix: reconciliation would delete them as orphans.
SHARED_PREFIX = "lstest-"


class LaunchedInstance:
    """A running LXD instance made without a database row, for tests that share it."""

    def __init__(self, kind=Kind.SANDBOX):
        self.container = Container(kind=kind, image=settings.LXD_IMAGE)
        self.container.name = SHARED_PREFIX + self.container.name.removeprefix(name_prefix())
        self.name = self.container.name
        self.address, self.host_key = services.provision_instance(self.container)
        self.container.ip_address = self.address
        self.container.host_key = self.host_key

    def connect(self, user="student"):
        return services.connect(self.container, user=user)

    def delete(self):
        lxd.delete_instance(self.name)


@pytest.fixture(scope="module")
def shared_instance(lxd_available):
    """One running container shared by the tests of a module that do not change it."""
    instance = LaunchedInstance()
    yield instance
    instance.delete()
