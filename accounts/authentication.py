from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.settings import api_settings

from accounts.tokens import token_matches_password


class AccountDeactivated(exceptions.PermissionDenied):
    default_detail = _("This account is deactivated. Ask an administrator to reactivate it.")
    default_code = "account_deactivated"


class JWTAuthentication(authentication.JWTAuthentication):
    """Bearer-token authentication that also rejects stale and deactivated users.

    A token issued before a password change is rejected with 401. A token of a
    deactivated user is rejected with 403, so the client can tell "sign in
    again" from "you may not".
    """

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise authentication.InvalidToken(_("The token contains no user id.")) from error
        try:
            user = self.user_model.objects.get(**{api_settings.USER_ID_FIELD: user_id})
        except self.user_model.DoesNotExist as error:
            raise exceptions.AuthenticationFailed(
                _("The user of this token no longer exists."), code="user_not_found"
            ) from error
        if not user.is_active:
            raise AccountDeactivated()
        if not token_matches_password(validated_token, user):
            raise exceptions.AuthenticationFailed(
                _("The password was changed after this token was issued. Log in again."),
                code="token_revoked",
            )
        return user
