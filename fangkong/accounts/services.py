"""Writes to accounts: users, role assignments, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import ApiToken, RoleAssignment, User
from fangkong.accounts.roles import GRANTABLE, Role
from fangkong.areas.models import Area
from fangkong.audit.services import event_record
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.scoping import actor_assignments, authorize, can, forget_assignments

MANAGE = "accounts.manage"
TOKEN_PREFIX = "fk_"
# Writing last_used_at on every request would add a write to every terminal upload at the morning
# peak; once a minute is precise enough to tell a live device from a dead one.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)
# The sampling terminals' fast path (`testing.fastpath`) keeps token digest → user (with the user's role
# assignments loaded) in memory this long. A revoke, a role change or a deactivation clears this process's
# cache at once; other worker processes see it within the TTL.
TOKEN_CACHE_TTL = 5.0
_token_cache: dict[str, tuple[float, User]] = {}


def _check_grant(actor, role: str, area: Area) -> None:
    """The actor must manage accounts over `area` and hold a role there that may grant `role`."""
    if role not in Role.values:
        raise ServiceError(_("未知角色。"), code="bad_role", field="role")
    authorize(actor, MANAGE, area.path)
    allowed = set()
    for assignment in actor_assignments(actor):
        if area.path.startswith(assignment.area.path):
            allowed |= GRANTABLE.get(assignment.role, frozenset())
    if role not in allowed:
        raise ServiceError(_("您不能授予该角色。"), code="role_not_grantable", field="role")
    if area.is_retired:
        raise ServiceError(_("该区域已撤销。"), code="retired")


@transaction.atomic
def user_create(
    *, actor, username: str, password: str, role: str, area: Area, display_name: str = "", phone: str = "",
    validate: bool = True,
) -> User:
    """Create a user with a first role assignment inside the actor's area (actor=None: operator CLI)."""
    username = (username or "").strip()
    if not username:
        raise ServiceError(_("请填写用户名。"), code="required", field="username")
    if actor is not None:
        _check_grant(actor, role, area)
    elif role not in Role.values:
        raise ServiceError(_("未知角色。"), code="bad_role", field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(_("用户名已存在。"), code="duplicate", field="username")
    if validate:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise ServiceError("；".join(exc.messages), code="weak_password", field="password") from None
    user = User(username=username, display_name=display_name.strip(), phone=phone.strip())
    user.set_password(password)
    user.save()
    event_record(actor=actor, action="user.create", obj=user, area_path=area.path,
                 after={"username": username, "display_name": user.display_name})
    role_assign(actor=actor, user=user, role=role, area=area)
    return user


@transaction.atomic
def role_assign(*, actor, user: User, role: str, area: Area, reason: str = "") -> RoleAssignment:
    _forget_tokens()
    if actor is not None:
        _check_grant(actor, role, area)
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, area=area, defaults={"created_by": actor if actor is not None else None}
    )
    if created:
        event_record(actor=actor, action="role.assign", obj=assignment, area_path=area.path,
                     after={"user": user.username, "role": role, "area": area.code}, reason=reason)
    forget_assignments(user)
    return assignment


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment, reason: str = "") -> None:
    _forget_tokens()
    if actor is not None:
        _check_grant(actor, assignment.role, assignment.area)
    event_record(actor=actor, action="role.revoke", obj=assignment, area_path=assignment.area.path,
                 before={"user": assignment.user.username, "role": assignment.role, "area": assignment.area.code},
                 reason=reason)
    assignment.delete()
    forget_assignments(assignment.user)


def _user_area_paths(user: User) -> list[str]:
    return [a.area.path for a in RoleAssignment.objects.filter(user=user).select_related("area")]


def user_manageable(actor, user: User) -> bool:
    """An actor manages a user only if every assignment of that user lies inside the actor's area."""
    paths = _user_area_paths(user)
    return bool(paths) and all(can(actor, MANAGE, p) for p in paths)


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool, reason: str = "") -> User:
    _forget_tokens()
    if actor is not None and not user_manageable(actor, user):
        raise NotFound()
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        event_record(actor=actor, action="user.activate" if active else "user.deactivate", obj=user,
                     area_path=(_user_area_paths(user) or [""])[0], after={"is_active": active}, reason=reason)
    return user


@transaction.atomic
def user_set_password(*, actor, user: User, password: str) -> User:
    if actor is not None and actor.pk != user.pk and not user_manageable(actor, user):
        raise NotFound()
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError("；".join(exc.messages), code="weak_password", field="password") from None
    user.set_password(password)
    user.save(update_fields=["password"])
    event_record(actor=actor, action="user.set_password", obj=user, area_path=(_user_area_paths(user) or [""])[0])
    return user


# --- API tokens -------------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a device token for `user`; returns the token and the plain value, shown only once."""
    if actor is not None and actor.pk != user.pk and not user_manageable(actor, user):
        raise NotFound()
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():  # pragma: no cover - 1 in 4 billion
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plain = f"{TOKEN_PREFIX}{prefix}_{secret}"
    token = ApiToken.objects.create(user=user, name=name.strip()[:100], prefix=prefix, digest=_digest(plain))
    event_record(actor=actor, action="token.create", obj=token, area_path=(_user_area_paths(user) or [""])[0],
                 after={"user": user.username, "name": token.name, "prefix": prefix})
    return token, plain


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id and not user_manageable(actor, token.user):
        raise NotFound()
    _forget_tokens()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(actor=actor, action="token.revoke", obj=token,
                     area_path=(_user_area_paths(token.user) or [""])[0], after={"prefix": token.prefix})
    return token


def token_authenticate(plain: str) -> User | None:
    """The active user behind a bearer token, or None. Touches last_used_at at most once a minute."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    try:
        prefix = plain[len(TOKEN_PREFIX):].split("_", 1)[0]
    except IndexError:  # pragma: no cover
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(plain)) or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_authenticate_cached(plain: str) -> User | None:
    """`token_authenticate` behind a small in-process cache (digest → user, `TOKEN_CACHE_TTL` seconds).

    For the sampling terminals' hot path only: the user comes back with its role assignments already
    loaded (`actor_assignments`), so a 10-binding request costs no query for the token or the grants.
    A miss (or an expired entry) asks the database; a refusal is never cached."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    key = _digest(plain)
    now = time.monotonic()
    hit = _token_cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    user = token_authenticate(plain)
    if user is None:
        _token_cache.pop(key, None)
        return None
    actor_assignments(user)
    if len(_token_cache) > 10_000:  # pragma: no cover - bounded memory, whatever the number of devices
        _token_cache.clear()
    _token_cache[key] = (now + TOKEN_CACHE_TTL, user)
    return user


def token_cache_clear() -> None:
    """Forget every cached token (called on revoke, role changes and deactivation)."""
    _token_cache.clear()


def _forget_tokens() -> None:
    # Now, and again once the change is committed (a request in between may have cached the old state).
    token_cache_clear()
    transaction.on_commit(token_cache_clear)
