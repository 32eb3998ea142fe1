"""Pages of the jurisdiction tree. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.areas import selectors, services
from fangkong.areas.choices import Level, child_level
from fangkong.areas.forms import AliasForm, AreaCreateForm, AreaMoveForm, AreaRenameForm, AreaRetireForm
from fangkong.areas.models import AreaAlias
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.pagination import paginate
from fangkong.core.scoping import can, require_any


@login_required
def index(request):
    require_any(request.user, selectors.VIEW)
    roots = selectors.area_roots(request.user)
    q = request.GET.get("q", "").strip()
    results = selectors.area_search(request.user, q) if q else None
    return render(request, "areas/area_index.html", {
        "roots": roots, "child_counts": selectors.child_counts(roots), "q": q, "results": results,
    })


@login_required
def children(request, code):
    """htmx fragment: the children of a node for the expandable tree."""
    area = selectors.area_get(request.user, code)
    kids = list(selectors.area_children(request.user, area)[:500])
    return render(request, "areas/_children.html", {"children": kids, "child_counts": selectors.child_counts(kids)})


@login_required
def detail(request, code):
    area = selectors.area_get(request.user, code)
    kids = selectors.area_children(request.user, area, include_retired=request.GET.get("retired") == "1")
    page = paginate(request, kids)
    can_manage = can(request.user, services.MANAGE, area.path)
    can_manage_node = area.parent is not None and can(request.user, services.MANAGE, area.parent.path)
    return render(request, "areas/area_detail.html", {
        "area": area,
        "ancestors": selectors.area_ancestors(request.user, area),
        "page_obj": page,
        "child_counts": selectors.child_counts(list(page.object_list)),
        "counts": [(Level(lv).label, n) for lv, n in selectors.area_counts(area).items()],
        "aliases": area.aliases.order_by("name"),
        "assignments": selectors.area_assignments(request.user, area),
        "can_create": can_manage and child_level(area.level) not in (None, Level.COUNTY, Level.STREET)
        and not area.is_retired,
        "can_edit": can_manage_node and not area.is_coded and not area.is_retired,
        "can_alias": can_manage,
        "child_level_label": Level(child_level(area.level)).label if child_level(area.level) else "",
        "alias_form": AliasForm(),
    })


@login_required
def create(request, code):
    parent = selectors.area_get(request.user, code)
    level = child_level(parent.level)
    if level is None or not can(request.user, services.MANAGE, parent.path):
        raise NotFound()
    form = AreaCreateForm(request.POST or None, level=level)
    if request.method == "POST" and form.is_valid():
        try:
            area = services.area_create(actor=request.user, parent=parent, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已新建“%(name)s”，代码 %(code)s。") % {"name": area.name, "code": area.code})
            return redirect("areas:detail", code=parent.code)
    return render(request, "areas/area_form.html", {
        "form": form, "area": parent, "title": _("在“%(name)s”下新建%(level)s") % {"name": parent.name, "level": Level(level).label},
    })


def _node_form(request, code, form_class, action, title):
    area = selectors.area_get(request.user, code)
    if area.parent is None or not can(request.user, services.MANAGE, area.parent.path):
        raise NotFound()
    form = form_class(request.POST or None, initial={"name": area.name} if form_class is AreaRenameForm else None)
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            if form_class is AreaMoveForm:
                data["new_parent"] = selectors.area_get(request.user, data["new_parent"].strip(), action=services.MANAGE)
            action(actor=request.user, area=area, **data)
        except NotFound:
            form.add_error(None, _("找不到该区域，或它不在您的辖区内。"))
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存。"))
            return redirect("areas:detail", code=area.code)
    return render(request, "areas/area_form.html", {"form": form, "area": area, "title": title % {"name": area.name}})


@login_required
def rename(request, code):
    return _node_form(request, code, AreaRenameForm, services.area_rename, _("重命名“%(name)s”"))


@login_required
def move(request, code):
    return _node_form(request, code, AreaMoveForm, services.area_move, _("移动“%(name)s”"))


@login_required
def retire(request, code):
    return _node_form(request, code, AreaRetireForm, services.area_retire, _("撤销“%(name)s”"))


@login_required
@require_POST
def alias_add(request, code):
    area = selectors.area_get(request.user, code)
    form = AliasForm(request.POST)
    if form.is_valid():
        try:
            services.area_alias_add(actor=request.user, area=area, **form.cleaned_data)
            messages.success(request, _("已添加别名。"))
        except ServiceError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请填写别名。"))
    return redirect("areas:detail", code=area.code)


@login_required
@require_POST
def alias_remove(request, code, alias_id):
    area = selectors.area_get(request.user, code)
    alias = get_object_or_404(AreaAlias, pk=alias_id, area=area)
    services.area_alias_remove(actor=request.user, alias=alias)
    messages.success(request, _("已删除别名。"))
    return redirect("areas:detail", code=area.code)
