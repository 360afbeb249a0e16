from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContainersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "containers"
    verbose_name = _("Containers")
