"""JWT tokens bound to the user's current password.

Each token carries a fragment of the user's session auth hash, which Django
derives from the password hash. Changing the password changes the hash, so
every token issued before the change stops working, for access and refresh
alike, just as Django's own sessions end.
"""

from rest_framework_simplejwt.tokens import RefreshToken

PASSWORD_CLAIM = "pwd"


def password_fingerprint(user):
    return user.get_session_auth_hash()[:16]


def issue_tokens(user):
    """Return a new refresh token for the user; its access token shares the claims."""
    refresh = RefreshToken.for_user(user)
    refresh[PASSWORD_CLAIM] = password_fingerprint(user)
    return refresh


def token_matches_password(token, user):
    return token.get(PASSWORD_CLAIM) == password_fingerprint(user)
