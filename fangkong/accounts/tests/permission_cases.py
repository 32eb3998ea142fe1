from fangkong.core.testing.matrix import Case

MANAGERS = {"hq": 200, "street_admin": 200}
CASES = [
    Case("accounts:profile", lambda w: "/accounts/me/", {}, default=200),
    Case("accounts:tokens", lambda w: "/accounts/tokens/", {}, default=200),
    Case("accounts:token_revoke", lambda w: "/accounts/tokens/999999/revoke/", {}, default=404, method="POST"),
    Case("accounts:users", lambda w: "/accounts/users/", MANAGERS, default=403),
    Case("accounts:user_create", lambda w: "/accounts/users/new/", MANAGERS, default=403),
    Case("accounts:user_create", lambda w: "/accounts/users/new/", {"hq": 302, "street_admin": 302}, default=403,
         method="POST", label="post",
         data=lambda w: {"username": "new_worker", "password": "Zx-98765-qw", "role": "grid_worker", "area": w.x.code}),
    Case("accounts:user_detail", lambda w: f"/accounts/users/{w.worker_x.pk}/", MANAGERS, default=404),
    Case("accounts:user_detail", lambda w: f"/accounts/users/{w.worker_x.pk}/", {"hq": 302, "street_admin": 302},
         default=404, method="POST", label="assign", data=lambda w: {"role": "volunteer", "area": w.x.code}),
    Case("accounts:assignment_revoke",
         lambda w: f"/accounts/users/{w.worker_x.pk}/assignments/{w.worker_x.assignments.first().pk}/revoke/",
         {"hq": 302, "street_admin": 302}, default=404, method="POST"),
    Case("api:me", lambda w: "/api/v1/me", {}, default=200, api=True),
]
