"""Staff logins (hall.accounts), called directly (messages in Chinese, the default): creating one, the unique username, the password
rule, sessions that end when a login is disabled or its password changes, the last-admin guard,
the one-time expiring set-password link, and what the audit log keeps (never a secret)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hall import accounts, clock
from hall.errors import Invalid, NotFound
from hall.extensions import db
from hall.models import Adviser, AuditEntry, Role, User
from hall.setup import create_hall, create_user


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def adviser(name: str) -> Adviser:
    return db.session.scalar(select(Adviser).where(Adviser.name == name))


def entries(action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def new_values(**changes) -> dict:
    values = {"display_name": "小李", "full_name": "李晓梅", "username": "lixm", "role": "reception",
              "adviser_id": "", "handover": "password"}
    values.update(changes)
    return values


@pytest.fixture
def admin(demo):
    return user("admin")


def test_create_a_login_with_a_temporary_password(demo, admin):
    handover = accounts.create_login(demo, admin, new_values())
    created = user("lixm")
    assert created is handover.user and created.hall_id == demo.id
    assert (created.display_name, created.full_name, created.role) == ("小李", "李晓梅", Role.reception)
    assert created.active and created.must_change_password and created.last_login_at is None
    assert len(handover.password.replace("-", "")) == 12 and created.check_password(handover.password)
    assert handover.token == ""
    # Two temporary passwords are not the same.
    assert accounts.temporary_password() != accounts.temporary_password()


def test_create_a_mediator_linked_to_a_free_adviser(demo, admin):
    pan = adviser("潘美华")
    accounts.create_login(demo, admin, new_values(username="pan", role="mediator", adviser_id=str(pan.id)))
    assert pan.user is user("pan")
    # 傅国强 is the demo mediator's: not offered, and refused when sent anyway.
    assert adviser("傅国强") not in accounts.linkable_advisers(demo)
    with pytest.raises(accounts.AccountInvalid) as error:
        accounts.create_login(demo, admin, new_values(username="fu2", role="mediator",
                                                      adviser_id=str(adviser("傅国强").id)))
    assert "已关联账号 mediator" in str(error.value.errors["adviser_id"])
    assert user("fu2") is None


def test_the_username_is_unique_across_the_server_whatever_the_case(demo, admin):
    other = create_hall("other", "别的大厅")
    create_user(other, "zhao", "zhao-password", "admin")
    before = count_users()
    for taken in ("zhao", "Reception"):
        with pytest.raises(accounts.AccountInvalid) as error:
            accounts.create_login(demo, admin, new_values(username=taken))
        assert "已被使用" in str(error.value.errors["username"])
    assert count_users() == before and entries("user.create") == []


@pytest.mark.parametrize("field, value", [
    ("username", ""), ("username", "has space"), ("username", "中文名"), ("username", "x" * 61),
    ("display_name", ""), ("display_name", "长" * 61), ("full_name", "长" * 61), ("role", "boss"),
    ("adviser_id", "999999"), ("adviser_id", "abc"), ("handover", "pigeon"),
])
def test_bad_input_names_the_field_and_saves_nothing(demo, admin, field, value):
    before = count_users()
    with pytest.raises(accounts.AccountInvalid) as error:
        accounts.create_login(demo, admin, new_values(**{field: value}))
    assert field in error.value.errors
    assert count_users() == before and entries() == []


def test_a_reception_login_cannot_be_linked_to_an_adviser(demo, admin):
    with pytest.raises(accounts.AccountInvalid) as error:
        accounts.create_login(demo, admin, new_values(adviser_id=str(adviser("潘美华").id)))
    assert "adviser_id" in error.value.errors


@pytest.mark.parametrize("password, problem", [
    ("short-pw", "至少需要 10"), ("123456789", "至少需要 10"), ("reception1", None),
    ("RECEPTION", "至少需要 10"), (" padded-password", "空格"), ("x" * 201, "最多"),
    ("long-enough-password", None), ("十个汉字的密码也可以用", None),
])
def test_the_password_rule(app, password, problem):
    found = accounts.password_problem(password, "reception")
    assert (problem is None and found is None) or (problem is not None and problem in str(found))


def test_the_password_is_not_the_username(app):
    assert "与用户名相同" in str(accounts.password_problem("wangxiaoyan", "WangXiaoYan"))
    with pytest.raises(accounts.AccountInvalid) as error:
        accounts.check_new_password("long-enough-1", "anyone", confirm="long-enough-2")
    assert "confirm" in error.value.errors


def test_disabling_ends_the_sessions_and_enabling_lets_in_again(demo, admin):
    reception = user("reception")
    session_id = reception.get_id()
    assert accounts.user_for_session(session_id) is reception
    accounts.disable_login(admin, reception)
    assert not reception.active
    assert accounts.user_for_session(session_id) is None
    assert accounts.user_for_session(reception.get_id()) is None  # disabled: no session at all
    accounts.enable_login(admin, reception)
    assert accounts.user_for_session(session_id) is None  # the old session stays ended
    assert accounts.user_for_session(reception.get_id()) is reception
    assert [e.action for e in entries()] == ["user.disable", "user.enable"]


@pytest.mark.parametrize("session_id", ["", "1", "abc", "1-", "-1", "1-0-0", "9999999-0", "1-x"])
def test_a_malformed_or_unknown_session_id_is_nobody(demo, session_id):
    assert accounts.user_for_session(session_id) is None


def test_an_admin_cannot_disable_or_demote_themselves(demo, admin):
    with pytest.raises(Invalid):
        accounts.disable_login(admin, admin)
    with pytest.raises(Invalid):
        accounts.update_login(admin, admin, {"display_name": "管理员", "role": "reception"})
    assert admin.active and admin.role == Role.admin and entries() == []
    # Their own names they may change.
    assert accounts.update_login(admin, admin, {"display_name": "赵主任", "full_name": "赵建华", "role": "admin"}) \
        == ["display_name"]


def test_the_last_active_admin_is_never_disabled_nor_demoted(demo, admin):
    # From the command line (no acting administrator) the guard still holds.
    with pytest.raises(Invalid) as error:
        accounts.disable_login(None, admin)
    assert "最后一个在用的管理员" in str(error.value.message)
    with pytest.raises(Invalid):
        accounts.update_login(None, admin, {"display_name": "管理员", "role": "mediator"})
    # With a second administrator, the first may be demoted by them.
    second = accounts.create_login(demo, admin, new_values(username="chen", role="admin")).user
    accounts.update_login(second, admin, {"display_name": "管理员", "role": "reception"})
    assert admin.role == Role.reception
    with pytest.raises(Invalid):
        accounts.disable_login(None, second)


def test_edit_changes_names_role_and_adviser_and_logs_what_changed(demo, admin):
    mediator = user("mediator")
    fu, pan = adviser("傅国强"), adviser("潘美华")
    assert fu.user is mediator
    changed = accounts.update_login(admin, mediator, {"display_name": "老傅", "full_name": "傅国强",
                                                      "role": "mediator", "adviser_id": str(pan.id)})
    assert changed == ["adviser"] and pan.user is mediator and fu.user is None
    changed = accounts.update_login(admin, mediator, {"display_name": "老傅", "full_name": "傅国强",
                                                      "role": "reception", "adviser_id": ""})
    assert set(changed) == {"role", "adviser"} and mediator.role == Role.reception and pan.user is None
    assert accounts.update_login(admin, mediator, {"display_name": "老傅", "full_name": "傅国强",
                                                   "role": "reception"}) == []
    edits = entries("user.edit")
    assert len(edits) == 2 and json.loads(edits[1].detail)["role"] == "reception"


def test_a_reset_voids_the_old_password_and_the_sessions(demo, admin):
    reception = user("reception")
    session_id = reception.get_id()
    handover = accounts.reset_password(admin, reception, "password")
    assert not reception.check_password("hall-demo") and reception.check_password(handover.password)
    assert reception.must_change_password and accounts.user_for_session(session_id) is None
    with pytest.raises(Invalid):
        accounts.reset_password(admin, admin, "password")  # their own: under My account


def test_changing_ones_own_password(demo):
    reception = user("reception")
    reception.must_change_password = True
    session_id = reception.get_id()
    for current, new, confirm, field in [
        ("wrong", "a-new-password", "a-new-password", "current_password"),
        ("hall-demo", "short", "short", "new_password"),
        ("hall-demo", "reception", "reception", "new_password"),
        ("hall-demo", "a-new-password", "another-password", "confirm"),
    ]:
        with pytest.raises(accounts.AccountInvalid) as error:
            accounts.change_own_password(reception, current, new, confirm)
        assert field in error.value.errors
    assert reception.check_password("hall-demo") and entries() == []
    accounts.change_own_password(reception, "hall-demo", "a-new-password", "a-new-password")
    assert reception.check_password("a-new-password") and not reception.must_change_password
    assert accounts.user_for_session(session_id) is None  # other sessions end
    assert [e.action for e in entries()] == ["user.change_password"]


def test_a_link_sets_the_password_once(demo, admin):
    handover = accounts.create_login(demo, admin, new_values(handover="link"))
    created = handover.user
    assert handover.password == "" and handover.token
    assert accounts.user_for_link(handover.token) is created
    with pytest.raises(accounts.AccountInvalid):
        accounts.set_password_by_link(handover.token, "lixm", "lixm")
    accounts.set_password_by_link(handover.token, "my-own-password", "my-own-password")
    assert created.check_password("my-own-password") and not created.must_change_password
    with pytest.raises(accounts.LinkInvalid):
        accounts.user_for_link(handover.token)  # used
    with pytest.raises(accounts.LinkInvalid):
        accounts.set_password_by_link(handover.token, "another-password", "another-password")
    assert created.check_password("my-own-password")


def test_a_link_expires_after_72_hours(demo, admin, monkeypatch):
    start = clock.now()
    handover = accounts.reset_password(admin, user("reception"), "link")
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=71, minutes=59))
    assert accounts.user_for_link(handover.token) is user("reception")
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=72, minutes=1))
    with pytest.raises(accounts.LinkInvalid):
        accounts.user_for_link(handover.token)


def test_a_newer_link_a_reset_or_disabling_voids_a_link(demo, admin):
    reception = user("reception")
    first = accounts.reset_password(admin, reception, "link").token
    second = accounts.reset_password(admin, reception, "link").token
    with pytest.raises(accounts.LinkInvalid):
        accounts.user_for_link(first)
    assert accounts.user_for_link(second) is reception
    accounts.disable_login(admin, reception)
    with pytest.raises(accounts.LinkInvalid):
        accounts.user_for_link(second)


@pytest.mark.parametrize("token", ["", "garbage", "x" * 1000])
def test_a_forged_link_is_refused(demo, token):
    with pytest.raises(accounts.LinkInvalid):
        accounts.user_for_link(token)


def test_a_link_signed_with_another_key_is_refused(demo, admin, app):
    token = accounts.reset_password(admin, user("reception"), "link").token
    app.config["SECRET_KEY"] = "another-key"
    with pytest.raises(accounts.LinkInvalid):
        accounts.user_for_link(token)


def test_the_audit_log_keeps_every_change_and_no_secret(demo, admin):
    handover = accounts.create_login(demo, admin, new_values())
    created = handover.user
    accounts.update_login(admin, created, new_values(display_name="李姐"))
    accounts.disable_login(admin, created)
    accounts.enable_login(admin, created)
    reset = accounts.reset_password(admin, created, "password")
    link = accounts.reset_password(admin, created, "link")
    accounts.set_password_by_link(link.token, "li-own-password", "li-own-password")
    accounts.change_own_password(created, "li-own-password", "li-newer-password", "li-newer-password")
    log = entries()
    assert [e.action for e in log] == ["user.create", "user.edit", "user.disable", "user.enable",
                                       "user.reset_password", "user.reset_password", "user.set_password_link",
                                       "user.change_password"]
    assert [e.user_id for e in log[:6]] == [admin.id] * 6 and {e.user_id for e in log[6:]} == {created.id}
    assert all(e.hall_id == demo.id and e.case_id is None for e in log)
    everything = " ".join(e.detail for e in log)
    for secret in (handover.password, reset.password, link.token, "li-own-password", "li-newer-password",
                   created.password_hash):
        assert secret not in everything
    assert all(json.loads(e.detail)["login"] == "lixm" for e in log)


def test_the_audit_log_says_it_in_words(demo, admin):
    from hall.cases import AUDIT_LABELS, audit_detail
    accounts.create_login(demo, admin, new_values(handover="link"))
    entry = entries("user.create")[0]
    assert str(AUDIT_LABELS["user.create"]) == "创建账号"
    assert audit_detail(entry) == "lixm · 前台 · 设置密码链接"
    for action in ("user.edit", "user.disable", "user.enable", "user.reset_password", "user.change_password",
                   "user.set_password_link"):
        assert action in AUDIT_LABELS


def test_logins_of_another_hall_are_not_found(demo, admin):
    other = create_hall("other", "别的大厅")
    stranger = create_user(other, "zhao", "zhao-password", "admin")
    with pytest.raises(NotFound):
        accounts.login_of(admin, stranger.id)
    assert stranger not in accounts.logins(demo)


def test_the_demo_logins_have_full_names_and_their_password(demo):
    assert {u.username: u.full_name for u in accounts.logins(demo)} == {
        "admin": "赵建华", "reception": "王晓燕", "mediator": "傅国强"}
    assert adviser("傅国强").user is user("mediator")
    assert all(u.check_password("hall-demo") and not u.must_change_password for u in accounts.logins(demo))


def test_a_login_records_its_time(demo):
    reception = user("reception")
    accounts.record_login(reception)
    assert abs((clock.now() - reception.last_login_at).total_seconds()) < 60


def test_the_command_line_keeps_the_same_password_rule(demo, app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "demo", "wangxy", "--role", "reception",
                                 "--name", "小王", "--password", "short-pw"])
    assert result.exit_code != 0 and "至少需要 10 个字符" in result.output and user("wangxy") is None
    result = runner.invoke(args=["user", "create", "demo", "wangxiaoyan", "--role", "reception",
                                 "--password", "WangXiaoYan"])
    assert result.exit_code != 0 and "不能与用户名相同" in result.output
    result = runner.invoke(args=["user", "create", "demo", "wangxy", "--role", "reception", "--name", "小王",
                                 "--full-name", "王晓燕", "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    created = user("wangxy")
    assert (created.display_name, created.full_name) == ("小王", "王晓燕") and created.check_password("a-long-password")
    assert "at least 10 characters" in runner.invoke(args=["user", "create", "--help"]).output
