"""`{% load isolation %}{% isolation_admit_url person as url %}`: the admission link for another app's
person page, empty when the user may not admit this person or the person is already isolated."""

from django import template
from django.urls import reverse

from fangkong.core.scoping import can

register = template.Library()


@register.simple_tag(takes_context=True)
def isolation_admit_url(context, person) -> str:
    from fangkong.isolation.models import OPEN_STATES, Episode

    user = context["request"].user
    if person is None or not can(user, "isolation.manage", person.area_path):
        return ""
    open_ep = Episode.objects.filter(person=person, state__in=OPEN_STATES).values_list("pk", flat=True).first()
    if open_ep:
        return reverse("isolation:episode_detail", args=[open_ep])
    return reverse("isolation:admit") + f"?person={person.pk}"
