import pytest
from django.core.management import call_command

from fangkong.accounts import services
from fangkong.accounts.models import ApiToken, User
from fangkong.audit.models import Event
from fangkong.core.errors import NotFound, ServiceError


def test_street_admin_creates_users_only_inside_its_street(world):
    user = services.user_create(actor=world.street_admin, username="w2", password="Zx-98765-qw",
                                role="grid_worker", area=world.x)
    assert user.assignments.get().area == world.x
    with pytest.raises(NotFound):
        services.user_create(actor=world.street_admin, username="w3", password="Zx-98765-qw",
                             role="grid_worker", area=world.z)


def test_nobody_grants_a_role_above_their_own_area_or_rank(world):
    with pytest.raises(NotFound):  # the county is above the street admin's street
        services.role_assign(actor=world.street_admin, user=world.worker_x, role="grid_worker", area=world.county)
    with pytest.raises(ServiceError) as exc:
        services.role_assign(actor=world.street_admin, user=world.worker_x, role="hq", area=world.street)
    assert exc.value.code == "role_not_grantable"
    with pytest.raises(NotFound):  # a grid worker manages nobody
        services.role_assign(actor=world.worker_x, user=world.worker_y, role="volunteer", area=world.x)
    assert not world.worker_x.assignments.filter(role="hq").exists()


def test_community_admin_grants_only_community_roles(world):
    admin = services.user_create(actor=world.hq, username="cadmin", password="Zx-98765-qw",
                                 role="community_admin", area=world.x)
    services.role_assign(actor=admin, user=world.worker_x, role="volunteer", area=world.grid_x)
    with pytest.raises(ServiceError):
        services.role_assign(actor=admin, user=world.worker_x, role="epi", area=world.x)


def test_weak_password_is_refused(world):
    with pytest.raises(ServiceError) as exc:
        services.user_create(actor=world.hq, username="weak", password="12345678", role="volunteer", area=world.x)
    assert exc.value.field == "password"


def test_token_is_shown_once_stored_hashed_and_revocable(world, client):
    token, plain = services.token_create(actor=world.worker_x, user=world.worker_x, name="终端1")
    assert plain.startswith("fk_") and plain not in token.digest and len(token.digest) == 64
    assert not ApiToken.objects.filter(digest__contains=plain).exists()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200 and response.json()["username"] == "worker_x"
    token.refresh_from_db()
    assert token.last_used_at is not None
    services.token_revoke(actor=world.worker_x, token=token)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    assert Event.objects.filter(action="token.revoke").exists()


def test_token_of_a_deactivated_user_stops_working(world, client):
    _token, plain = services.token_create(actor=None, user=world.worker_x)
    services.user_set_active(actor=world.hq, user=world.worker_x, active=False, reason="离岗")
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401


def test_a_tampered_token_is_refused(world, client):
    _token, plain = services.token_create(actor=None, user=world.worker_x)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain[:-2]}xx").status_code == 401


def test_cli_createuser_and_token_create(world, capsys):
    call_command("createuser", "cli_worker", role="grid_worker", area=world.x.code, password="Zx-98765-qw")
    user = User.objects.get(username="cli_worker")
    assert user.check_password("Zx-98765-qw") and user.assignments.get().role == "grid_worker"
    capsys.readouterr()
    call_command("token", "create", "cli_worker")
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("fk_") and ApiToken.objects.filter(user=user).count() == 1


def test_cli_console_script_wraps_django(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}
    env.pop("PYTEST_CURRENT_TEST", None)
    out = subprocess.run([sys.executable, "-m", "fangkong", "help"], capture_output=True, text=True, env=env)
    assert out.returncode == 0
    for name in ("createuser", "token", "demo", "load_divisions", "bench", "import_data", "export_data"):
        assert name in out.stdout
