from __future__ import annotations

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator


def paginate(request, queryset, *, per_page: int | None = None):
    """A page of `queryset` from ?page=N (out-of-range pages give the last page)."""
    paginator = Paginator(queryset, per_page or settings.FANGKONG_PAGE_SIZE)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)
