import logging

from django.contrib.auth import password_validation
from django.db import transaction

from accounts.models import Role, User

logger = logging.getLogger(__name__)


@transaction.atomic
def register_user(*, username, email, password, full_name="", role=Role.STUDENT):
    """Create an account; the caller has validated the fields and the password."""
    user = User(username=username, email=email, full_name=full_name, role=role)
    user.set_password(password)
    user.save()
    logger.info("user registered: id=%s role=%s", user.pk, user.role)
    return user


def change_password(*, user, new_password):
    """Set a new password. Sessions and tokens tied to the old one stop working."""
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    logger.info("password changed: user=%s", user.pk)


def set_preferred_language(*, user, language):
    """Store the interface language applied at each login; "" follows the browser."""
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    logger.info("preferred language set: user=%s language=%s", user.pk, language or "browser")


def set_active(*, user, active):
    user.is_active = active
    user.save(update_fields=["is_active"])
    logger.info("user %s: id=%s", "activated" if active else "deactivated", user.pk)


def delete_user(*, user):
    user_id = user.pk
    user.delete()
    logger.info("user deleted: id=%s", user_id)
