from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    """Authenticate by username, or by email address given as the username.

    A username may itself contain "@", so an exact username match wins over
    an email match.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = self._find_user(username)
        if user is None:
            # Hash anyway, so response time does not reveal unknown accounts.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def _find_user(self, login):
        User = get_user_model()
        user = User.objects.filter(username=login).first()
        if user is None and "@" in login:
            user = User.objects.filter(email__iexact=login).first()
        return user
