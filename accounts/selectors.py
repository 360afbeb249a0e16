from accounts.models import User


def email_taken(email, *, exclude=None):
    """Return whether another account than exclude has this email address, ignoring case."""
    others = User.objects.filter(email__iexact=email)
    if exclude is not None and exclude.pk:
        others = others.exclude(pk=exclude.pk)
    return others.exists()
