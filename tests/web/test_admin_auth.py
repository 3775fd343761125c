"""Staff login and logout at /admin/login."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hall.extensions import db
from hall.models import User


def post_login(client, username, password="hall-demo", next_url=None):
    url = "/admin/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password})


def logged_in(client) -> bool:
    response = client.get("/admin/console")
    return response.status_code == 200


def test_login_page_is_chinese_by_default_with_an_english_toggle(demo, client):
    page = client.get("/admin/login").get_data(as_text=True)
    assert "工作人员登录" in page and "用户名" in page and "密码" in page
    assert "?lang=en" in page
    english = client.get("/admin/login?lang=en").get_data(as_text=True)
    assert "Staff login" in english and "Username" in english


@pytest.mark.parametrize("role, home", [("reception", "/admin/console"), ("mediator", "/admin/console"),
                                        ("admin", "/admin/settings")])
def test_each_role_lands_where_it_works(demo, client, role, home):
    response = post_login(client, role)
    assert response.status_code == 303
    assert response.headers["Location"] == home
    assert client.get("/admin/").headers["Location"] == home
    assert logged_in(client)


def test_a_wrong_password_says_so_in_chinese_and_logs_nobody_in(demo, client):
    response = post_login(client, "reception", "not-the-password")
    assert response.status_code == 401
    assert "用户名或密码不对" in response.get_data(as_text=True)
    assert not logged_in(client)


def test_a_wrong_password_in_english(demo, client):
    client.get("/admin/login?lang=en")
    response = post_login(client, "nobody", "whatever")
    assert "Wrong username or password" in response.get_data(as_text=True)


def test_empty_fields_are_asked_for(demo, client):
    response = client.post("/admin/login", data={"username": "", "password": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请输入用户名" in page and "请输入密码" in page


def test_an_inactive_account_cannot_log_in(demo, client):
    user = db.session.scalar(select(User).where(User.username == "reception"))
    user.active = False
    db.session.commit()
    assert post_login(client, "reception").status_code == 401
    assert not logged_in(client)


def test_next_is_honoured_for_a_local_path(demo, client):
    response = post_login(client, "reception", next_url="/admin/console/1")
    assert response.headers["Location"] == "/admin/console/1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_next_elsewhere_is_ignored(demo, client, target):
    response = post_login(client, "reception", next_url=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/console"


def test_a_staff_page_sends_back_to_itself_after_login(demo, client):
    response = client.get("/admin/console")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/admin/login?next=")
    response = client.post(login_url, data={"username": "reception", "password": "hall-demo"})
    assert response.headers["Location"].startswith("/admin/console")


def test_logout_ends_the_session(demo, client):
    post_login(client, "reception")
    assert logged_in(client)
    response = client.post("/admin/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/login"
    assert not logged_in(client)


def test_logout_is_not_a_get(demo, client):
    post_login(client, "reception")
    assert client.get("/admin/logout").status_code == 405
    assert logged_in(client)
