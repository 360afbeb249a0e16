from django.http import Http404

from containers.models import Container, Kind


def sandbox_of(user):
    """Return the user's live sandbox, or None."""
    return Container.objects.live().filter(owner=user, kind=Kind.SANDBOX).first()


def get_container_for_user(user, container_id):
    """Return a live container that the user owns, or any live one for an admin.

    Anything else raises Http404, whether the id exists or not, so ids of
    other users' containers cannot be probed.
    """
    containers = Container.objects.live().select_related("owner")
    if not user.is_admin:
        containers = containers.filter(owner=user)
    try:
        return containers.get(pk=container_id)
    except Container.DoesNotExist as error:
        raise Http404 from error
