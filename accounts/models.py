from django.contrib.auth.models import AbstractBaseUser, Group, PermissionsMixin, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The group that carries the content permissions of the instructor role. A
# data migration creates it; each content app's migrations add their models'
# permissions to it.
INSTRUCTORS_GROUP = "Instructors"


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    INSTRUCTOR = "instructor", _("Instructor")
    ADMIN = "admin", _("Admin")


class LabsiteUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in to Labsite.

    The role decides the Django flags: an admin is staff and superuser, an
    instructor is staff and a member of the Instructors group, a student is
    neither. save() keeps them in step, so set the role, not the flags.
    """

    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_("150 characters or fewer. Letters, digits and @/./+/-/_ only."),
        validators=[UnicodeUsernameValidator()],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    email = models.EmailField(
        _("email address"),
        unique=True,
        error_messages={"unique": _("A user with that email address already exists.")},
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STUDENT)
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Clear this instead of deleting the account to block sign-in."),
    )
    is_staff = models.BooleanField(_("staff status"), default=False, editable=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = LabsiteUserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.username

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return self.full_name or self.username

    def get_short_name(self):
        return self.get_full_name()

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def is_instructor(self):
        return self.role == Role.INSTRUCTOR

    def save(self, *args, **kwargs):
        if self.email:
            self.email = self.email.strip().lower()
        self.is_staff = self.role in (Role.ADMIN, Role.INSTRUCTOR)
        self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "role" in update_fields:
            self._sync_instructor_group()

    def _sync_instructor_group(self):
        group = Group.objects.filter(name=INSTRUCTORS_GROUP).first()
        if group is None:
            return
        if self.role == Role.INSTRUCTOR:
            self.groups.add(group)
        else:
            self.groups.remove(group)
