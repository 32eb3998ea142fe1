from fangkong.core.testing.matrix import Case

OK = 200
CASES = [
    Case("home", lambda w: "/", {}, default=OK),
]
