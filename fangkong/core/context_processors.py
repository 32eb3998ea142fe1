from django.conf import settings

from fangkong.core.nav import items_for


def shell(request):
    """What the app shell (sidebar, header) needs on every page."""
    user = getattr(request, "user", None)
    nav = items_for(user) if user is not None else []
    current = request.path
    return {
        "nav_items": [
            {"item": item, "url": item.url, "active": current.startswith(item.url) and item.url != "/"
             or current == item.url}
            for item in nav
        ],
        "FANGKONG_DEBUG": settings.DEBUG,
    }
