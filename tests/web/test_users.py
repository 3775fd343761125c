"""Staff accounts through the test client: /admin/users (administrators), /admin/account (every
user), the one-time set-password link, sessions that end, and the must-change-password flow."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from conftest import as_user, login
from hall import accounts
from hall.extensions import db
from hall.models import AuditEntry, Role, User

HX = {"HX-Request": "true"}


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def new_form(**changes) -> dict:
    form = {"display_name": "小李", "full_name": "李晓梅", "username": "lixm", "role": "reception",
            "adviser_id": "", "handover": "password"}
    form.update(changes)
    return form


@pytest.fixture
def admin_client(demo, client):
    as_user(client, user("admin"), lang=None)
    return client


@pytest.mark.parametrize("role", ["reception", "mediator"])
def test_only_administrators_manage_logins(demo, client, role):
    as_user(client, user(role), lang=None)
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data=new_form()).status_code == 403
    assert client.post(f"/admin/users/{user('admin').id}/disable").status_code == 403
    assert user("admin").active and user("lixm") is None
    # … and the menu offers them only their own account.
    page = client.get("/admin/account").get_data(as_text=True)
    assert "我的账号" in page and "账号管理" not in page


def test_the_list_shows_the_halls_logins_in_chinese(demo, admin_client):
    reception = user("reception")
    reception.last_login_at = datetime(2026, 12, 1, 1, 5, tzinfo=timezone.utc)  # 09:05 in Shanghai
    db.session.commit()
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "账号管理" in page and "我的账号" in page
    row = re.search(r'<tr id="user-%d".*?</tr>' % reception.id, page, re.S).group(0)
    for text in ("前台小王", "王晓燕", "reception", "前台", "在用", "2026-12-01 09:05"):
        assert text in row, text
    mediator_row = re.search(r'<tr id="user-%d".*?</tr>' % user("mediator").id, page, re.S).group(0)
    assert "傅国强" in mediator_row and "调解员" in mediator_row and "从未登录" in mediator_row
    assert "管理员" in page


def test_the_list_in_english(demo, client):
    as_user(client, user("admin"), lang="en")
    page = client.get("/admin/users").get_data(as_text=True)
    for text in ("Staff accounts", "Display name", "Full name", "Staff role", "Linked adviser", "Last login",
                 "Reception", "Mediator", "Administrator", "Never", "My account"):
        assert text in page, text


def test_create_with_a_temporary_password_shows_it_once(demo, admin_client):
    response = admin_client.post("/admin/users", data=new_form())
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    password = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    created = user("lixm")
    assert created.check_password(password) and created.must_change_password
    assert "账号 lixm 已创建" in page and "只显示这一次" in page
    # Not on the list, nor anywhere in the log.
    assert password not in admin_client.get("/admin/users").get_data(as_text=True)
    assert password not in admin_client.get("/admin/audit").get_data(as_text=True)
    audit = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "创建账号" in audit and "lixm · 前台 · 临时密码" in audit


def test_create_with_a_link_and_use_it_once(demo, admin_client, app):
    page = admin_client.post("/admin/users", data=new_form(handover="link")).get_data(as_text=True)
    link = re.search(r'id="set-password-link"[^>]*>([^<]+)<', page).group(1)
    assert '<svg role="img"' in page  # … and its QR code
    assert link.startswith("http://localhost/admin/password/")
    path = link[len("http://localhost"):]
    fresh = app.test_client()
    form = fresh.get(path)
    assert form.status_code == 200 and "lixm" in form.get_data(as_text=True)
    bad = fresh.post(path, data={"new_password": "too-short", "confirm": "too-short"})
    assert bad.status_code == 422 and "至少需要 10 个字符" in bad.get_data(as_text=True)
    done = fresh.post(path, data={"new_password": "my-own-password", "confirm": "my-own-password"})
    assert done.status_code == 303 and done.headers["Location"] == "/admin/login"
    again = fresh.get(path)
    assert again.status_code == 410 and "此链接已失效" in again.get_data(as_text=True)
    assert login(fresh, "lixm", "my-own-password").headers["Location"] == "/admin/console"


@pytest.mark.parametrize("changes, field, message", [
    ({"username": "reception"}, "username", "用户名 reception 已被使用"),
    ({"username": ""}, "username", "请输入用户名"),
    ({"username": "王 小"}, "username", "用户名由 2 到 60 个"),
    ({"display_name": " "}, "display_name", "请输入显示名"),
    ({"role": "boss"}, "role", "请从列表中选择角色"),
    ({"adviser_id": "99999"}, "adviser_id", "请从列表中选择人员"),
])
def test_bad_input_on_create_says_what_and_creates_nothing(demo, admin_client, changes, field, message):
    before = count_users()
    response = admin_client.post("/admin/users", data=new_form(**changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and f'id="err-{field}"' in page
    assert count_users() == before
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_edit_and_link_the_mediator(demo, admin_client):
    mediator = user("mediator")
    form = admin_client.get(f"/admin/users/{mediator.id}/edit").get_data(as_text=True)
    assert 'value="傅国强"' in form and "潘美华" in form
    response = admin_client.post(f"/admin/users/{mediator.id}", data={
        "display_name": "老傅", "full_name": "傅国强（调解员）", "role": "mediator", "adviser_id": ""})
    assert response.status_code == 303
    assert mediator.full_name == "傅国强（调解员）" and accounts.adviser_of_login(mediator) is None
    bad = admin_client.post(f"/admin/users/{mediator.id}", data={
        "display_name": "", "full_name": "x", "role": "mediator"})
    assert bad.status_code == 422 and "请输入显示名" in bad.get_data(as_text=True)
    assert mediator.display_name == "老傅" and mediator.full_name == "傅国强（调解员）"


def test_an_admin_cannot_demote_or_disable_themselves(demo, admin_client):
    admin = user("admin")
    response = admin_client.post(f"/admin/users/{admin.id}", data={"display_name": "管理员", "role": "reception"})
    assert response.status_code == 409 and "不能取消自己的管理员角色" in response.get_data(as_text=True)
    response = admin_client.post(f"/admin/users/{admin.id}/disable", headers=HX)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#flash"
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    assert admin.active and admin.role == Role.admin


def test_disable_and_enable_swap_the_list_under_htmx(demo, admin_client):
    reception = user("reception")
    response = admin_client.post(f"/admin/users/{reception.id}/disable", headers=HX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="flash" hx-swap-oob="innerHTML">')
    assert '<table class="users-table" id="users">' in page and "<html" not in page
    assert f'<tr id="user-{reception.id}" class="disabled changed"' in page
    assert "已停用" in page and "前台小王已停用，并已退出登录" in page
    assert not reception.active
    page = admin_client.post(f"/admin/users/{reception.id}/enable", headers=HX).get_data(as_text=True)
    assert "前台小王已恢复" in page and reception.active
    # Without JavaScript: back to the list with the message.
    response = admin_client.post(f"/admin/users/{reception.id}/disable")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users"


def test_a_disabled_users_next_request_goes_to_the_login(demo, client, app):
    other = app.test_client()
    login(client, "reception")
    assert client.get("/admin/console").status_code == 200
    as_user(other, user("admin"), lang=None)
    other.post(f"/admin/users/{user('reception').id}/disable")
    response = client.get("/admin/console")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    response = client.get("/admin/console", headers=HX)
    assert response.status_code == 401 and "/admin/login" in response.headers["HX-Redirect"]
    # Re-enabled, the old session stays ended; the password still works.
    other.post(f"/admin/users/{user('reception').id}/enable")
    assert client.get("/admin/console").status_code == 302
    assert login(client, "reception").status_code == 303


def test_a_reset_password_is_changed_at_the_first_login(demo, admin_client, app):
    reception = user("reception")
    desk = app.test_client()
    login(desk, "reception")
    page = admin_client.post(f"/admin/users/{reception.id}/password", data={"handover": "password"}).get_data(as_text=True)
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    assert "账号 reception 的密码已重置" in page
    # The desk's session ended with the old password.
    assert desk.get("/admin/console").status_code == 302
    assert login(desk, "reception").status_code == 401
    response = login(desk, "reception", temporary)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/account"
    assert reception.last_login_at is not None
    # Every other staff page leads to the change-password page; under htmx an HX-Redirect.
    for path in ("/admin/console", "/admin/cases", "/admin/appointments", "/admin/"):
        response = desk.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/admin/account", path
    response = desk.post("/admin/console/1/call-next", headers=HX)
    assert response.headers.get("HX-Redirect") == "/admin/account"
    page = desk.get("/admin/account").get_data(as_text=True)
    assert "您是用临时密码登录的" in page
    # Bad input: clear messages, nothing changed.
    for form, message in [
        ({"current_password": "nope", "new_password": "a-new-password", "confirm": "a-new-password"}, "当前密码不对"),
        ({"current_password": temporary, "new_password": "short", "confirm": "short"}, "至少需要 10 个字符"),
        ({"current_password": temporary, "new_password": "reception", "confirm": "reception"}, "至少需要 10 个字符"),
        ({"current_password": temporary, "new_password": "a-new-password", "confirm": "a-new-passw0rd"}, "两次输入的新密码不一致"),
    ]:
        response = desk.post("/admin/account", data=form)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert reception.check_password(temporary) and reception.must_change_password
    response = desk.post("/admin/account", data={"current_password": temporary, "new_password": "a-new-password",
                                                  "confirm": "a-new-password"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/console"
    assert desk.get("/admin/console").status_code == 200  # still logged in
    assert not reception.must_change_password


def test_changing_ones_password_keeps_this_session_and_ends_the_others(demo, client, app):
    elsewhere = app.test_client()
    login(client, "mediator")
    login(elsewhere, "mediator")
    client.get("/admin/account?lang=en")
    response = client.post("/admin/account", data={"current_password": "hall-demo", "new_password": "mediator",
                                                   "confirm": "mediator"})
    assert "at least 10 characters" in response.get_data(as_text=True)
    response = client.post("/admin/account", data={"current_password": "hall-demo",
                                                   "new_password": "fu-guoqiang-2026", "confirm": "fu-guoqiang-2026"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/account"
    assert "Your password was changed." in client.get("/admin/account").get_data(as_text=True)
    assert client.get("/admin/console").status_code == 200
    assert elsewhere.get("/admin/console").status_code == 302
    assert login(elsewhere, "mediator", "fu-guoqiang-2026").status_code == 303


def test_another_halls_login_is_not_found(demo, admin_client):
    from hall.setup import create_hall, create_user
    stranger = create_user(create_hall("other", "别的大厅"), "zhao", "zhao-password", "admin")
    assert admin_client.get(f"/admin/users/{stranger.id}/edit").status_code == 404
    assert admin_client.post(f"/admin/users/{stranger.id}/disable").status_code == 404
    assert stranger.active and "zhao" not in admin_client.get("/admin/users").get_data(as_text=True)


def test_a_forged_link_is_refused_kindly(demo, client):
    response = client.get("/admin/password/not-a-token")
    assert response.status_code == 410 and "此链接已失效" in response.get_data(as_text=True)
    response = client.post("/admin/password/not-a-token", data={"new_password": "whatever-123", "confirm": "whatever-123"})
    assert response.status_code == 410
