"""Security properties of the foundation: identical 404s, CSP, lockout, CSRF, masking."""

import pytest
from django.test import Client

from fangkong.core.masking import mask_id_number, mask_phone
from fangkong.core.testing.world import PASSWORD


def test_grid_worker_token_reads_own_community_and_404s_are_identical(client, world):
    token = world.token("worker_x")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    own = client.get(f"/api/v1/areas/{world.x.code}", **auth)
    assert own.status_code == 200 and own.json()["name"] == "翠屏社区"
    sibling = client.get(f"/api/v1/areas/{world.y.code}", **auth)
    missing = client.get("/api/v1/areas/611002001999", **auth)
    assert sibling.status_code == missing.status_code == 404
    assert sibling.content == missing.content
    assert sibling.headers["Content-Type"] == missing.headers["Content-Type"]


def test_page_404s_are_identical_for_missing_and_out_of_scope(client, world):
    client.force_login(world.worker_x)
    sibling = client.get(f"/areas/{world.y.code}/")
    missing = client.get("/areas/611002001999/")
    assert sibling.status_code == missing.status_code == 404
    assert sibling.content == missing.content


def test_user_without_role_sees_nothing(client, world):
    token = world.token("norole")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/areas/", **auth).json() == []
    assert client.get(f"/api/v1/areas/{world.city.code}", **auth).status_code == 404
    client.force_login(world.norole)
    page = client.get("/")
    assert "您还没有被分配任何角色" in page.content.decode()


def test_api_without_credentials_is_401(client, world):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer fk_nope_nope").status_code == 401


def test_responses_carry_csp_without_inline_script(client, world):
    response = client.get("/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "<script>" not in response.content.decode()
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_login_page_is_chinese(client, db):
    body = client.get("/login/").content.decode()
    assert "登录防控平台" in body and 'lang="zh-hans"' in body


def test_english_is_available(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    body = client.get("/login/").content.decode()
    assert 'lang="en"' in body and "Sign in to fangkong" in body


@pytest.mark.django_db
def test_repeated_bad_passwords_lock_the_account(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "worker_x", "password": "wrong"})
    locked = client.post("/login/", {"username": "worker_x", "password": PASSWORD})
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_good_password_logs_in_and_lands_on_home(world):
    client = Client()
    response = client.post("/login/", {"username": "worker_x", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "翠屏社区" in response.content.decode()


def test_csrf_is_enforced_on_forms(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.hq)
    response = client.post(f"/areas/{world.x.code}/new/", {"name": "无令牌", "kind": "grid"})
    assert response.status_code == 403


def test_session_api_writes_need_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.hq)
    assert client.get("/api/v1/me").status_code == 200


def test_masking():
    assert mask_id_number("611002199001010015") == "6110**********0015"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("") == "" and mask_phone(None) == ""


def test_secure_settings_outside_debug():
    import subprocess
    import sys

    code = (
        "import os;os.environ['SECRET_KEY']='x'*50;os.environ.pop('DEBUG',None);"
        "import sys;sys.modules.pop('pytest',None);"
        "import fangkong.settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS>0)"
    )
    env = {"PATH": "/usr/bin:/bin", "FANGKONG_VAR_DIR": "/nonexistent-var"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["True", "True", "True"]


def test_settings_refuse_to_start_without_secret_key():
    import subprocess
    import sys

    code = "import sys;sys.modules.pop('pytest',None);import fangkong.settings"
    env = {"PATH": "/usr/bin:/bin", "FANGKONG_VAR_DIR": "/nonexistent-var"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "SECRET_KEY" in out.stderr
