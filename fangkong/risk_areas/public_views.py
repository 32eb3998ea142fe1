"""The public page (no login): current risk areas by county with their measures, the archive of
notices, a notice, its PDF/DOCX. No personal data at all. Cached (Django's cache framework) and
invalidated when a notice is published or applied (`services.public_cache_bump`)."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from fangkong.core.errors import NotFound
from fangkong.core.pagination import paginate
from fangkong.risk_areas import documents, selectors, services
from fangkong.risk_areas.views import file_response, notice_file_parts

PAGE_SECONDS = 60  # a short time: HQ's changes show within a minute even without invalidation
FILE_SECONDS = 600


def _version() -> int:
    version = cache.get(services.PUBLIC_CACHE_VERSION_KEY)
    if version is None:
        cache.add(services.PUBLIC_CACHE_VERSION_KEY, 1, None)
        version = cache.get(services.PUBLIC_CACHE_VERSION_KEY) or 1
    return version


def _cached_page(request, key: str, build) -> HttpResponse:
    full_key = f"risk_areas:public:{_version()}:{key}:{request.LANGUAGE_CODE}"
    body = cache.get(full_key)
    if body is None:
        body = build()
        cache.set(full_key, body, PAGE_SECONDS)
    response = HttpResponse(body)
    response["Cache-Control"] = f"public, max-age={PAGE_SECONDS}"
    return response


@require_GET
def index(request):
    def build():
        services.notices_apply_due()
        return render_to_string("risk_areas/public_index.html", {
            "counties": selectors.public_current_areas(),
            "notices": list(selectors.public_notices()[:10]),
            "updated_at": timezone.localtime(),
        }, request=request)

    return _cached_page(request, "index", build)


@require_GET
def notices(request):
    page_no = request.GET.get("page", "1")
    if not page_no.isdigit():
        page_no = "1"

    def build():
        page = paginate(request, selectors.public_notices())
        return render_to_string("risk_areas/public_notices.html", {"page_obj": page}, request=request)

    return _cached_page(request, f"notices:{page_no}", build)


@require_GET
def notice_detail(request, pk):
    notice = selectors.public_notice_get(pk)

    def build():
        return render_to_string("risk_areas/public_notice.html", {
            "notice": notice, "body": documents.notice_html(notice)}, request=request)

    return _cached_page(request, f"notice:{pk}", build)


@require_GET
def notice_download(request, pk, kind):
    if kind not in ("pdf", "docx"):
        raise NotFound()
    key = f"risk_areas:public:file:{pk}:{kind}"
    cached = cache.get(key)
    if cached is None:
        cached = notice_file_parts(selectors.public_notice_get(pk), kind)
        cache.set(key, cached, FILE_SECONDS)
    response = file_response(cached)
    response["Cache-Control"] = f"public, max-age={FILE_SECONDS}"
    return response


