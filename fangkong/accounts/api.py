from __future__ import annotations

from ninja import Router, Schema

from fangkong.accounts import selectors

PREFIX = ""
router = Router(tags=["accounts"])


class AssignmentOut(Schema):
    role: str
    role_label: str
    area: str
    area_name: str


class MeOut(Schema):
    username: str
    display_name: str
    assignments: list[AssignmentOut]


@router.get("/me", response=MeOut, summary="当前用户及其角色")
def me(request):
    return selectors.me(request.user)
