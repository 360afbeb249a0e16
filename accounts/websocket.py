"""Authentication of WebSocket connections: session cookie or ?token=<JWT>."""

from importlib import import_module
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tokens import token_matches_password


def user_for_token(raw_token):
    """Return the active user of a valid access token, or None."""
    try:
        token = AccessToken(raw_token)
    except TokenError:
        return None
    user = User.objects.filter(pk=token.get("user_id"), is_active=True).first()
    if user is None or not token_matches_password(token, user):
        return None
    return user, token


class TokenAuthMiddleware(BaseMiddleware):
    """Authenticate by a `token` query parameter when one is given.

    It runs inside Channels' AuthMiddlewareStack and replaces the session's
    user. The token stays in the scope for later checks and is never logged.
    """

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        raw_token = query.get("token", [None])[0]
        if raw_token:
            found = await database_sync_to_async(user_for_token)(raw_token)
            scope = dict(scope)
            if found is None:
                scope["user"] = AnonymousUser()
                scope.pop("session", None)
            else:
                scope["user"], scope["auth_token"] = found
        return await super().__call__(scope, receive, send)


def still_authorized(scope, user_id):
    """Return whether the connection's user may still use it.

    False once the user is gone or deactivated, changed their password, or
    (for a session cookie) logged out of that session.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        return False
    token = scope.get("auth_token")
    if token is not None:
        return token_matches_password(token, user)
    session = scope.get("session")
    if session is None or session.session_key is None:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
    data = store.load()
    return str(data.get(SESSION_KEY)) == str(user.pk) and constant_time_compare(
        data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )
