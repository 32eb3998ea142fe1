from fangkong.core.testing.matrix import Case

CASES = [
    Case("audit:events", lambda w: "/audit/events/", {"hq": 200}, default=403),
    Case("audit:access", lambda w: "/audit/access/", {"hq": 200}, default=403),
]
