"""Account pages: users and role assignments inside the actor's area; the actor's own API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.accounts import selectors, services
from fangkong.accounts.forms import AssignForm, PasswordForm, TokenCreateForm, UserCreateForm
from fangkong.accounts.models import ApiToken, RoleAssignment
from fangkong.accounts.roles import Role
from fangkong.areas.selectors import area_get
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.pagination import paginate
from fangkong.core.scoping import actor_assignments, has_any, require_any


@login_required
def profile(request):
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(actor=request.user, user=request.user, password=form.cleaned_data["password"])
        except ServiceError as exc:
            form.add_error("password", exc.message)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"assignments": actor_assignments(request.user), "form": form})


@login_required
def tokens(request):
    form = TokenCreateForm(request.POST or None)
    plain = None
    if request.method == "POST" and form.is_valid():
        _token, plain = services.token_create(actor=request.user, user=request.user, name=form.cleaned_data["name"])
        form = TokenCreateForm()
    return render(request, "accounts/tokens.html", {
        "tokens": selectors.token_list(request.user, request.user), "form": form, "plain": plain,
    })


@login_required
@require_POST
def token_revoke(request, token_id):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("令牌已吊销。"))
    return redirect("accounts:tokens")


@login_required
def users(request):
    require_any(request.user, selectors.VIEW)
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    page = paginate(request, selectors.user_list(request.user, q=q, role=role if role in Role.values else ""))
    return render(request, "accounts/user_list.html", {
        "page_obj": page, "q": q, "role": role, "roles": Role.choices,
        "can_manage": has_any(request.user, services.MANAGE),
    })


@login_required
def user_create(request):
    require_any(request.user, services.MANAGE)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = area_get(request.user, data["area"].strip(), action=services.MANAGE)
            user = services.user_create(actor=request.user, username=data["username"], password=data["password"],
                                        role=data["role"], area=area, display_name=data["display_name"],
                                        phone=data["phone"])
        except NotFound:
            form.add_error("area", _("找不到该区域，或它不在您的辖区内。"))
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已创建用户 %(name)s。") % {"name": user.username})
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_detail(request, user_id):
    user = selectors.user_get(request.user, user_id)
    form = AssignForm(request.POST or None)
    can_manage = services.user_manageable(request.user, user) or has_any(request.user, services.MANAGE)
    if request.method == "POST":
        if form.is_valid():
            try:
                area = area_get(request.user, form.cleaned_data["area"].strip(), action=services.MANAGE)
                services.role_assign(actor=request.user, user=user, role=form.cleaned_data["role"], area=area)
            except NotFound:
                form.add_error("area", _("找不到该区域，或它不在您的辖区内。"))
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("已分配角色。"))
                return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_detail.html", {
        "u": user, "assignments": user.assignments.select_related("area").order_by("area__path"),
        "form": form, "can_manage": can_manage,
    })


@login_required
@require_POST
def assignment_revoke(request, user_id, assignment_id):
    user = selectors.user_get(request.user, user_id)
    assignment = get_object_or_404(RoleAssignment.objects.select_related("area", "user"), pk=assignment_id, user=user)
    try:
        services.role_revoke(actor=request.user, assignment=assignment, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销该角色。"))
    return redirect("accounts:user_detail", user_id=user.pk)
