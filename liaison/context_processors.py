"""Template context shared by every page: the user's role and navigation flags."""

from . import permissions


def liaison(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"role": None}
    return {
        "role": permissions.role_of(user),
        "can_use_admin": permissions.can_use_admin(user),
    }
