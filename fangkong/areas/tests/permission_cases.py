from fangkong.core.testing.matrix import Case

ALL = {"hq": 200, "street_admin": 200, "worker_x": 200, "worker_y": 200, "sampler": 200, "epi": 200}
CASES = [
    Case("areas:index", lambda w: "/areas/", {**ALL, "norole": 403}),
    Case("areas:detail", lambda w: f"/areas/{w.x.code}/", {**ALL, "worker_y": 404, "norole": 404}, label="x"),
    Case("areas:detail", lambda w: f"/areas/{w.city.code}/", {"hq": 200}, default=404, label="city"),
    Case("areas:children", lambda w: f"/areas/{w.x.code}/children/", {**ALL, "worker_y": 404, "norole": 404}),
    Case("areas:create", lambda w: f"/areas/{w.x.code}/new/", {"hq": 200, "street_admin": 200}, default=404),
    Case("areas:create", lambda w: f"/areas/{w.x.code}/new/", {"hq": 302, "street_admin": 302}, default=404,
         method="POST", data=lambda w: {"name": "第9网格", "kind": "grid"}, label="post"),
    Case("areas:rename", lambda w: f"/areas/{w.grid_x.code}/rename/", {"hq": 200, "street_admin": 200}, default=404),
    Case("areas:rename", lambda w: f"/areas/{w.grid_x.code}/rename/", {"hq": 302, "street_admin": 302}, default=404,
         method="POST", data=lambda w: {"name": "新网格", "keep_alias": "on"}, label="post"),
    Case("areas:move", lambda w: f"/areas/{w.grid_x.code}/move/", {"hq": 200, "street_admin": 200}, default=404),
    Case("areas:move", lambda w: f"/areas/{w.grid_x.code}/move/", {"hq": 302, "street_admin": 302}, default=404,
         method="POST", data=lambda w: {"new_parent": w.y.code, "reason": "调整"}, label="post"),
    Case("areas:retire", lambda w: f"/areas/{w.unit_x.code}/retire/", {"hq": 200, "street_admin": 200}, default=404),
    Case("areas:retire", lambda w: f"/areas/{w.unit_x.code}/retire/", {"hq": 302, "street_admin": 302}, default=404,
         method="POST", data=lambda w: {"reason": "拆除"}, label="post"),
    Case("areas:alias_add", lambda w: f"/areas/{w.x.code}/aliases/", {"hq": 302, "street_admin": 302},
         default=404, method="POST", data=lambda w: {"name": "翠屏"}),
    Case("areas:alias_remove", lambda w: f"/areas/{w.x.code}/aliases/{w.x.aliases.get_or_create(name='旧名')[0].pk}/delete/",
         {"hq": 302, "street_admin": 302}, default=404, method="POST"),
    # API
    Case("api:roots", lambda w: "/api/v1/areas/", {}, default=200, api=True),
    Case("api:area_detail", lambda w: f"/api/v1/areas/{w.x.code}", {**ALL, "worker_y": 404, "norole": 404}, api=True),
    Case("api:area_detail", lambda w: "/api/v1/areas/999999999999", {}, default=404, api=True, label="missing"),
    Case("api:area_children", lambda w: f"/api/v1/areas/{w.x.code}/children", {**ALL, "worker_y": 404, "norole": 404},
         api=True),
]
