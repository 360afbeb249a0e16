from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Role, User
from accounts.selectors import email_taken


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "full_name",
            "role",
            "preferred_language",
            "is_active",
            "date_joined",
        ]
        read_only_fields = fields


class RegisterSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False)

    class Meta:
        model = User
        fields = ["username", "email", "password", "full_name"]
        extra_kwargs = {"email": {"required": True, "allow_blank": False}}

    def validate_email(self, value):
        value = value.strip().lower()
        if email_taken(value):
            raise serializers.ValidationError(
                _("A user with that email address already exists."), code="unique"
            )
        return value

    def validate(self, attrs):
        candidate = User(
            username=attrs.get("username", ""),
            email=attrs.get("email", ""),
            full_name=attrs.get("full_name", ""),
        )
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class AdminCreateUserSerializer(RegisterSerializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.STUDENT)

    class Meta(RegisterSerializer.Meta):
        fields = [*RegisterSerializer.Meta.fields, "role"]


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(help_text=_("Username or email address."))
    password = serializers.CharField(trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class AccessTokenSerializer(serializers.Serializer):
    access = serializers.CharField()
    token_type = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False)
    new_password = serializers.CharField(trim_whitespace=False)

    def validate_old_password(self, value):
        if not self.context["user"].check_password(value):
            raise serializers.ValidationError(
                _("The old password is wrong."), code="wrong_password"
            )
        return value

    def validate_new_password(self, value):
        try:
            password_validation.validate_password(value, self.context["user"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(list(error.messages)) from error
        return value


class UserFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class ProfileSerializer(serializers.ModelSerializer):
    """The caller's own profile: name, email and preferred language may change."""

    preferred_language = serializers.ChoiceField(
        choices=[("", _("Browser default")), *settings.LANGUAGES],
        required=False,
        allow_blank=True,
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "full_name", "role", "preferred_language"]
        read_only_fields = ["id", "username", "role"]
        extra_kwargs = {"email": {"allow_blank": False}}

    def validate_email(self, value):
        value = value.strip().lower()
        if email_taken(value, exclude=self.instance):
            raise serializers.ValidationError(
                _("A user with that email address already exists."), code="unique"
            )
        return value
