import logging

from courses.models import ThemeProgress

logger = logging.getLogger(__name__)


def complete_theme(*, user, theme):
    """Mark a theme done for the user; doing it twice changes nothing."""
    progress, created = ThemeProgress.objects.get_or_create(user=user, theme=theme)
    if created:
        logger.info("theme completed: theme=%s user=%s", theme.pk, user.pk)
    return progress
