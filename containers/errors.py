"""Errors of the container layer.

Each carries a message for people (translated, saying what to check) and a
stable code for the API. lxd.py and ssh.py turn the errors of pylxd and
paramiko into these, so no other module needs to know those libraries.
"""

from django.utils.translation import gettext_lazy as _


class ContainerError(Exception):
    code = "container_error"
    default_message = _("The container layer failed.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class LXDError(ContainerError):
    code = "lxd_error"
    default_message = _("LXD rejected the request.")


class LXDUnreachable(LXDError):
    code = "lxd_unreachable"
    default_message = _("LXD cannot be reached.")


class LXDNotFound(LXDError):
    code = "lxd_not_found"
    default_message = _("The LXD instance does not exist.")


class SSHError(ContainerError):
    code = "ssh_error"
    default_message = _("The SSH connection failed.")


class SSHAuthenticationFailed(SSHError):
    code = "ssh_authentication_failed"


class SSHHostKeyMismatch(SSHError):
    code = "ssh_host_key_mismatch"


class SSHTimeout(SSHError):
    code = "ssh_timeout"


class SSHHostKeyUnknown(SSHError):
    """The server's host key cannot be checked because no key is recorded for it."""

    code = "ssh_host_key_unknown"
