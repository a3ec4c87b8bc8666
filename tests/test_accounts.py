"""Users, tokens, passwords, sessions, who a request is, and the sign-in throttle."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import search_api.accounts as accounts_module
from search_api.accounts import (
    ADMIN_TOKEN_CALLER,
    ANONYMOUS,
    AccountError,
    Accounts,
    AuthError,
    Caller,
    Throttle,
    normalize_group,
    parse_groups,
    resolve_caller,
    sign_in,
    token_in_query,
)
from search_api.audit import read_audit
from search_api.cli import main
from search_api.settings import Settings


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fast_hashes(monkeypatch):
    """Cheap hash parameters: the defaults cost a quarter of a second each, and these tests make dozens."""
    monkeypatch.setattr(accounts_module, "PasswordHasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    monkeypatch.setattr(accounts_module, "SCRYPT_N", 2**8)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(tmp_path, fast_hashes, clock) -> Accounts:
    return Accounts(tmp_path / "data", clock=clock)


def settings_for(tmp_path: Path, **values) -> Settings:
    return Settings(home=tmp_path / "home", data_dir=tmp_path / "data", **values)


# -- secrets at rest ----------------------------------------------------------------------------------------------


def test_the_database_holds_hashes_never_the_secrets(accounts, tmp_path):
    token = accounts.add_user("lan", ["thanh tra"])
    accounts.set_password("lan", "mật khẩu rất dài 123")
    session = accounts.create_session(accounts.authenticate_password("lan", "mật khẩu rất dài 123"), hours=1)
    accounts.close()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("accounts.sqlite*"))
    secret = token.split("_", 2)[2]
    for value in (token, secret, "mật khẩu rất dài 123", session):
        assert value.encode() not in stored
    reopened = Accounts(tmp_path / "data")
    row = reopened._conn().execute("SELECT token_hash, password_hash FROM users").fetchone()
    assert row["token_hash"].startswith("scrypt$") and row["password_hash"].startswith("$argon2id$")
    assert (tmp_path / "data" / "accounts.sqlite").stat().st_mode & 0o077 == 0


def test_tokens_are_compared_in_constant_time(accounts, monkeypatch):
    token = accounts.add_user("lan")
    calls = []
    real = accounts_module.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(accounts_module.hmac, "compare_digest", spy)
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert accounts.authenticate_token(wrong) is None
    assert calls, "a wrong secret of a known token id must be compared with hmac.compare_digest"
    calls.clear()
    assert accounts.authenticate_token(token).name == "lan"
    assert calls
    calls.clear()
    resolve_caller(accounts, Settings(admin_token="quản-trị-bí-mật"), "Bearer quản-trị-bí-mật", None)
    assert calls


def test_the_token_cache_is_keyed_by_a_digest_not_the_token(accounts):
    token = accounts.add_user("lan")
    accounts.authenticate_token(token)
    assert accounts._cache
    for key, entry in accounts._cache.items():
        assert isinstance(key, bytes) and len(key) == 32
        assert token not in repr(entry) and token.encode() != key


# -- tokens -------------------------------------------------------------------------------------------------------


def test_a_token_identifies_its_user(accounts):
    token = accounts.add_user("Lan", "Thanh tra, Kế toán", admin=True)
    assert token.startswith("vb_")
    caller = accounts.authenticate_token(token)
    assert caller == Caller("Lan", frozenset({"thanh tra", "kế toán"}), True, "user")
    assert accounts.authenticate_token("vb_000000000000_" + "A" * 43) is None
    assert accounts.authenticate_token("không phải mã") is None
    assert accounts.authenticate_token("") is None


def test_a_new_token_stops_the_old_one_at_once(accounts):
    old = accounts.add_user("lan")
    assert accounts.authenticate_token(old) is not None  # now cached
    new = accounts.new_token("lan")
    assert accounts.authenticate_token(old) is None
    assert accounts.authenticate_token(new).name == "lan"


def test_a_change_made_by_another_process_is_seen_through_the_cache(accounts, tmp_path):
    token = accounts.add_user("lan", ["a"])
    assert accounts.authenticate_token(token).groups == {"a"}
    other = Accounts(tmp_path / "data")  # what `vanban users …` opens in its own process
    other.set_groups("lan", ["b"])
    assert accounts.authenticate_token(token).groups == {"b"}
    other.remove_user("lan")
    assert accounts.authenticate_token(token) is None


def test_group_changes_apply_to_the_next_request_without_hashing_again(accounts, monkeypatch):
    token = accounts.add_user("lan", ["a"])
    assert accounts.authenticate_token(token).groups == {"a"}
    hashed = []
    real = accounts_module._token_secret_matches
    monkeypatch.setattr(accounts_module, "_token_secret_matches", lambda s, h: hashed.append(1) or real(s, h))
    accounts.set_groups("lan", "b, c")
    assert accounts.authenticate_token(token).groups == {"b", "c"}
    accounts.set_admin("lan", True)
    assert accounts.authenticate_token(token).admin is True
    accounts.set_groups("lan", [])
    assert accounts.authenticate_token(token).groups == frozenset()
    assert not hashed, "the cached verification stays valid while the token itself is unchanged"


def test_removal_ends_tokens_and_sessions(accounts):
    token = accounts.add_user("lan")
    accounts.set_password("lan", "mật khẩu dài")
    session = accounts.create_session(accounts.authenticate_password("lan", "mật khẩu dài"), hours=8)
    assert accounts.authenticate_token(token) is not None and accounts.session_caller(session) is not None
    accounts.remove_user("lan")
    assert accounts.authenticate_token(token) is None
    assert accounts.session_caller(session) is None
    assert accounts.authenticate_password("lan", "mật khẩu dài") is None
    # Adding the name again makes a new user: the old credentials still do not work.
    accounts.add_user("lan")
    assert accounts.authenticate_token(token) is None and accounts.session_caller(session) is None


def test_the_version_bumps_on_every_change(accounts):
    accounts.add_user("lan")
    versions = [accounts.user("lan").version]
    for change in (lambda: accounts.set_groups("lan", ["a"]), lambda: accounts.set_admin("lan", True),
                   lambda: accounts.new_token("lan"), lambda: accounts.set_password("lan", "12345678")):
        change()
        versions.append(accounts.user("lan").version)
    assert versions == sorted(set(versions)) and len(versions) == 5


# -- names, groups, passwords -------------------------------------------------------------------------------------


def test_names_are_nfc_and_case_insensitive(accounts):
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" typed with combining marks
    token = accounts.add_user(decomposed)
    assert accounts.list_users()[0].name == "Nguyễn"
    with pytest.raises(AccountError) as exc:
        accounts.add_user("NGUYỄN")
    assert exc.value.code == "user_exists"
    accounts.set_password("nguyễn", "mật khẩu dài")
    assert accounts.authenticate_password("NGUYỄN", "mật khẩu dài").name == "Nguyễn"
    assert accounts.authenticate_token(token).name == "Nguyễn"


@pytest.mark.parametrize("name", ["", "   ", "a" * 65, "lan\x00", "lan\nthu", "\x1b[31m"])
def test_bad_names_are_refused(accounts, name):
    with pytest.raises(AccountError) as exc:
        accounts.add_user(name)
    assert exc.value.code == "bad_name"


def test_groups_are_normalised_and_checked():
    assert parse_groups(" Thanh tra ,Kế toán,,") == {"thanh tra", "kế toán"}
    assert parse_groups(["Thanh Tra", "thanh tra"]) == {"thanh tra"}
    assert normalize_group("Pha\u0300ng") == "phàng"
    for bad in ("public", "PUBLIC", "a\tb", "x" * 65):
        with pytest.raises(AccountError):
            normalize_group(bad)
    with pytest.raises(AccountError):
        parse_groups(["a,b"])


def test_unknown_users_are_a_clear_error(accounts):
    for change in (lambda: accounts.remove_user("ai"), lambda: accounts.set_groups("ai", ["a"]),
                   lambda: accounts.new_token("ai"), lambda: accounts.set_password("ai", "12345678"),
                   lambda: accounts.user("ai")):
        with pytest.raises(AccountError) as exc:
            change()
        assert exc.value.code == "unknown_user"


def test_passwords(accounts, monkeypatch):
    accounts.add_user("lan")
    assert accounts.authenticate_password("lan", "bất kỳ") is None  # no password set yet
    with pytest.raises(AccountError) as exc:
        accounts.set_password("lan", "ngắn")
    assert exc.value.code == "bad_password"
    with pytest.raises(AccountError):
        accounts.set_password("lan", "")
    accounts.set_password("lan", "Mật khẩu dài")
    assert accounts.authenticate_password("lan", "Mật khẩu dài").name == "lan"
    assert accounts.authenticate_password("lan", "mật khẩu dài") is None
    assert accounts.authenticate_password("lan", "Ma\u0323\u0302t khẩu dài").name == "lan"  # NFC either way
    verified = []
    real = accounts._verify_quietly
    monkeypatch.setattr(accounts, "_verify_quietly", lambda h, p: verified.append(h) or real(h, p))
    assert accounts.authenticate_password("không có", "Mật khẩu dài") is None
    assert verified, "an unknown name still costs one hash, so timing does not reveal which names exist"


def test_weak_password_hashes_are_upgraded_on_sign_in(tmp_path, monkeypatch):
    weak = Accounts(tmp_path / "data")
    monkeypatch.setattr(weak, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    weak.add_user("lan")
    weak.set_password("lan", "mật khẩu dài")
    strong = Accounts(tmp_path / "data")  # argon2-cffi's defaults
    before = strong.user("lan").version
    assert strong.authenticate_password("lan", "mật khẩu dài").name == "lan"
    stored = strong._conn().execute("SELECT password_hash FROM users").fetchone()[0]
    assert not strong._hasher.check_needs_rehash(stored)
    assert strong.user("lan").version == before  # the same password: not a change callers must notice


# -- sessions -----------------------------------------------------------------------------------------------------


def signed_in(accounts: Accounts, name: str = "lan", hours: float = 8) -> str:
    accounts.set_password(name, "mật khẩu dài")
    return accounts.create_session(accounts.authenticate_password(name, "mật khẩu dài"), hours=hours)


def test_sessions_expire(accounts, clock):
    accounts.add_user("lan", ["a"])
    session = signed_in(accounts, hours=2)
    assert accounts.session_caller(session) == Caller("lan", frozenset({"a"}), False, "user")
    clock.now += 2 * 3600 - 1
    assert accounts.session_caller(session) is not None
    clock.now += 1
    assert accounts.session_caller(session) is None
    assert accounts.session_caller("") is None and accounts.session_caller("bịa ra") is None


def test_ending_a_session(accounts):
    accounts.add_user("lan")
    session = signed_in(accounts)
    other = accounts.create_session(accounts.authenticate_password("lan", "mật khẩu dài"), hours=8)
    accounts.end_session(session)
    assert accounts.session_caller(session) is None
    assert accounts.session_caller(other) is not None


def test_new_credentials_end_sessions_but_group_changes_do_not(accounts):
    accounts.add_user("lan", ["a"])
    session = signed_in(accounts)
    accounts.set_groups("lan", ["b"])
    accounts.set_admin("lan", True)
    assert accounts.session_caller(session) == Caller("lan", frozenset({"b"}), True, "user")
    accounts.new_token("lan")
    assert accounts.session_caller(session) is None
    session = accounts.create_session(accounts.authenticate_password("lan", "mật khẩu dài"), hours=8)
    accounts.set_password("lan", "mật khẩu khác nữa")
    assert accounts.session_caller(session) is None


def test_only_users_get_sessions(accounts):
    for caller in (ANONYMOUS, ADMIN_TOKEN_CALLER):
        with pytest.raises(AccountError):
            accounts.create_session(caller, hours=1)


def test_threads_share_one_store(accounts):
    tokens = {f"u{i}": accounts.add_user(f"u{i}", ["a"]) for i in range(4)}
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for n in range(20):
                accounts.set_groups(name, [f"g{n}"])
                assert accounts.authenticate_token(tokens[name]).groups == {f"g{n}"}
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


# -- who a request is ---------------------------------------------------------------------------------------------


def expect_auth_error(status: int, code: str, *args, **kwargs) -> AuthError:
    with pytest.raises(AuthError) as exc:
        resolve_caller(*args, **kwargs)
    assert (exc.value.status, exc.value.code) == (status, code)
    assert exc.value.message  # Vietnamese text for people
    return exc.value


def test_resolve_caller_rules(accounts, tmp_path, clock):
    settings = settings_for(tmp_path, admin_token="mã-quản-trị-cũ-rất-dài")
    token = accounts.add_user("lan", ["a"])
    session = signed_in(accounts, hours=1)

    assert resolve_caller(accounts, settings, f"Bearer {token}", None).name == "lan"
    assert resolve_caller(accounts, settings, f"bearer   {token}  ", None).name == "lan"
    assert resolve_caller(accounts, settings, None, session).name == "lan"
    assert resolve_caller(accounts, settings, None, None) == ANONYMOUS
    assert resolve_caller(accounts, settings, "", "") == ANONYMOUS
    assert resolve_caller(accounts, settings, "Bearer mã-quản-trị-cũ-rất-dài", None) == ADMIN_TOKEN_CALLER
    assert resolve_caller(accounts, settings, None, None, admin_header="mã-quản-trị-cũ-rất-dài") == ADMIN_TOKEN_CALLER

    # A credential that does not work is an error, never a quiet fall back to anonymous.
    expect_auth_error(401, "bad_token", accounts, settings, "Bearer vb_000000000000_" + "A" * 43, None)
    expect_auth_error(401, "bad_token", accounts, settings, "Bearer ", None)
    expect_auth_error(401, "bad_token", accounts, settings, f"Basic {token}", None)
    expect_auth_error(401, "bad_token", accounts, settings, "Bearer sai", session)
    expect_auth_error(401, "bad_token", accounts, settings, None, None, admin_header="sai")
    expect_auth_error(401, "session_expired", accounts, settings, None, "bịa ra")
    expect_auth_error(401, "bad_token", None, settings, f"Bearer {token}", None)

    clock.now += 3601
    expect_auth_error(401, "session_expired", accounts, settings, None, session)
    accounts.remove_user("lan")
    expect_auth_error(401, "bad_token", accounts, settings, f"Bearer {token}", None)


def test_without_an_admin_token_configured_no_bearer_is_admin(accounts, tmp_path):
    expect_auth_error(401, "bad_token", accounts, settings_for(tmp_path), "Bearer None", None)
    expect_auth_error(401, "bad_token", accounts, settings_for(tmp_path, admin_token=""), "Bearer x", None)


def test_anonymous_callers_can_be_refused(accounts, tmp_path):
    token = accounts.add_user("lan")
    closed = settings_for(tmp_path, anonymous="none")
    expect_auth_error(401, "login_required", accounts, closed, None, None)
    assert resolve_caller(accounts, closed, f"Bearer {token}", None).name == "lan"
    assert resolve_caller(accounts, settings_for(tmp_path, anonymous="Public"), None, None) == ANONYMOUS
    with pytest.raises(ValueError):
        resolve_caller(accounts, settings_for(tmp_path, anonymous="everyone"), None, None)
    assert Settings.from_env({"VANBAN_ANONYMOUS": "none"}).anonymous == "none"


def test_tokens_in_a_query_string_are_detected(accounts):
    from starlette.datastructures import QueryParams

    token = accounts.add_user("lan")
    for params in ({"token": "x"}, {"access_token": "x"}, {"API_KEY": "x"}, {"q": f"tìm {token}"},
                   [("q", "bão"), ("token", "")], QueryParams(f"q=a&q={token}"), QueryParams("api_key=1")):
        assert token_in_query(params), params
    for params in ({}, {"q": "bão số 3", "page": "2"}, QueryParams("q=vb_ ai&mode=hybrid"), [("doc_id", "vb_1")]):
        assert not token_in_query(params), params
    assert accounts_module.token_in_query_error().status == 401


# -- throttling ---------------------------------------------------------------------------------------------------


def test_sign_in_is_slowed_down_per_name(accounts, clock):
    accounts.add_user("lan")
    accounts.set_password("lan", "mật khẩu dài")
    throttle = Throttle(max_failures=5, window_s=600, clock=clock)
    for _ in range(5):
        with pytest.raises(AuthError) as exc:
            sign_in(accounts, throttle, "lan", "sai rồi", "10.0.0.1")
        assert (exc.value.status, exc.value.code) == (401, "bad_credentials")
    with pytest.raises(AuthError) as exc:
        sign_in(accounts, throttle, "LAN", "mật khẩu dài", "10.0.0.2")  # right password, other address: still held
    assert (exc.value.status, exc.value.code) == (429, "too_many_attempts")
    assert 1 <= exc.value.retry_after <= 600
    clock.now += 599
    with pytest.raises(AuthError):
        sign_in(accounts, throttle, "lan", "mật khẩu dài", "10.0.0.2")
    clock.now += 1
    assert sign_in(accounts, throttle, "lan", "mật khẩu dài", "10.0.0.2").name == "lan"


def test_sign_in_is_slowed_down_per_address(accounts, clock):
    for name in ("lan", "minh"):
        accounts.add_user(name)
        accounts.set_password(name, "mật khẩu dài")
    throttle = Throttle(max_failures=5, window_s=600, clock=clock)
    for n in range(5):
        with pytest.raises(AuthError):
            sign_in(accounts, throttle, f"người{n}", "đoán thử", "10.0.0.9")
    with pytest.raises(AuthError) as exc:
        sign_in(accounts, throttle, "minh", "mật khẩu dài", "10.0.0.9")
    assert exc.value.code == "too_many_attempts"
    assert sign_in(accounts, throttle, "minh", "mật khẩu dài", "10.0.0.10").name == "minh"


def test_a_success_clears_the_name_but_not_the_address(clock):
    throttle = Throttle(max_failures=3, window_s=60, clock=clock)
    for _ in range(2):
        throttle.failed("name:lan", "addr:a")
    throttle.succeeded("name:lan")
    throttle.failed("name:lan", "addr:a")
    throttle.check("name:lan")
    with pytest.raises(AuthError):
        throttle.check("addr:a")
    assert throttle.retry_after("addr:b") == 0


def test_the_throttle_stays_small(clock):
    throttle = Throttle(max_failures=2, window_s=60, clock=clock, max_keys=100)
    for n in range(1000):
        throttle.failed(f"name:{n}")
    assert len(throttle._failures) <= 100


# -- the command line ---------------------------------------------------------------------------------------------


def run_cli(tmp_path: Path, *args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    argv = ["--home", str(tmp_path / "home"), *args, "--data-dir", str(tmp_path / "data")]
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def test_users_commands_end_to_end(tmp_path, fast_hashes, monkeypatch):
    code, out, err = run_cli(tmp_path, "users", "add", "Lan", "--groups", "Thanh tra,Kế toán")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("vb_") and "một lần" in err
    code, out, _ = run_cli(tmp_path, "users", "add", "minh", "--admin", "--json")
    minh = json.loads(out)
    assert code == 0 and minh["name"] == "minh" and minh["token"].startswith("vb_")

    store = Accounts(tmp_path / "data")
    assert store.authenticate_token(token) == Caller("Lan", frozenset({"thanh tra", "kế toán"}), False, "user")
    assert store.authenticate_token(minh["token"]).admin

    code, out, _ = run_cli(tmp_path, "users", "list", "--json")
    listed = json.loads(out)["users"]
    assert code == 0 and [u["name"] for u in listed] == ["Lan", "minh"]
    assert token not in out and minh["token"] not in out and "hash" not in out
    assert listed[0]["groups"] == ["kế toán", "thanh tra"] and listed[1]["admin"] is True
    code, out, _ = run_cli(tmp_path, "users", "list")
    assert code == 0 and "Lan" in out and "thanh tra" in out and token not in out

    code, out, _ = run_cli(tmp_path, "users", "set", "lan", "--groups", "Kiểm tra")
    assert code == 0 and "kiểm tra" in out
    assert store.authenticate_token(token).groups == {"kiểm tra"}
    code, _, _ = run_cli(tmp_path, "users", "set", "lan", "--admin")
    assert code == 0 and store.authenticate_token(token).admin
    code, _, _ = run_cli(tmp_path, "users", "set", "lan", "--groups", "", "--no-admin")
    assert code == 0 and store.authenticate_token(token) == Caller("Lan", frozenset(), False, "user")

    code, out, _ = run_cli(tmp_path, "users", "token", "lan")
    assert code == 0
    renewed = out.strip()
    assert store.authenticate_token(token) is None and store.authenticate_token(renewed).name == "Lan"
    code, out, _ = run_cli(tmp_path, "users", "token", "lan", "--json")
    assert json.loads(out)["token"] != renewed and store.authenticate_token(renewed) is None

    code, out, err = run_cli(tmp_path, "users", "password", "lan", stdin="mật khẩu rất dài\n", monkeypatch=monkeypatch)
    assert code == 0, err
    assert store.authenticate_password("lan", "mật khẩu rất dài").name == "Lan"
    code, _, err = run_cli(tmp_path, "users", "password", "lan", stdin="ngắn\n", monkeypatch=monkeypatch)
    assert code == 2 and "8 ký tự" in err
    code, _, err = run_cli(tmp_path, "users", "password", "lan", stdin="", monkeypatch=monkeypatch)
    assert code == 2
    assert store.authenticate_password("lan", "mật khẩu rất dài") is not None

    code, out, _ = run_cli(tmp_path, "users", "remove", "LAN")
    assert code == 0 and "Lan" in out
    assert store.authenticate_password("lan", "mật khẩu rất dài") is None
    code, out, _ = run_cli(tmp_path, "users", "list", "--json")
    assert [u["name"] for u in json.loads(out)["users"]] == ["minh"]

    changes = read_audit(tmp_path / "data", action="users_change", oldest_first=True)
    assert [(e["details"]["change"], e["details"]["name"]) for e in changes] == [
        ("add", "Lan"), ("add", "minh"), ("set", "Lan"), ("set", "Lan"), ("set", "Lan"), ("token", "Lan"),
        ("token", "Lan"), ("password", "Lan"), ("remove", "Lan")]
    assert all(e["kind"] == "cli" and e["user"] is None for e in changes)
    logged = b"".join(p.read_bytes() for p in (tmp_path / "data" / "audit").iterdir())
    for secret in (token, minh["token"], renewed, "mật khẩu rất dài", "ngắn"):
        assert secret.encode() not in logged


def test_users_commands_refuse_bad_input(tmp_path, fast_hashes, monkeypatch):
    assert run_cli(tmp_path, "users", "add", "lan")[0] == 0
    for args in (("users", "remove", "ai"), ("users", "set", "ai", "--groups", "a"), ("users", "token", "ai")):
        code, out, err = run_cli(tmp_path, *args)
        assert code == 2 and "unknown_user" in err and "ai" in err and not out
    code, _, err = run_cli(tmp_path, "users", "password", "ai", stdin="mật khẩu dài\n", monkeypatch=monkeypatch)
    assert code == 2 and "unknown_user" in err
    code, _, err = run_cli(tmp_path, "users", "add", "LAN")
    assert code == 2 and "user_exists" in err
    code, _, err = run_cli(tmp_path, "users", "add", "thu", "--groups", "public")
    assert code == 2 and "bad_group" in err
    code, _, err = run_cli(tmp_path, "users", "set", "lan")
    assert code == 2 and "--groups" in err
    code, _, err = run_cli(tmp_path, "users", "set", "lan", "--groups", "a,public")
    assert code == 2 and "bad_group" in err
    assert Accounts(tmp_path / "data").user("lan").groups == ()
    assert [u["details"]["name"] for u in read_audit(tmp_path / "data")] == ["lan"]


def test_password_from_a_terminal_is_read_twice(tmp_path, fast_hashes, monkeypatch):
    import getpass

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert run_cli(tmp_path, "users", "add", "lan")[0] == 0
    monkeypatch.setattr("sys.stdin", Terminal())
    answers = iter(["mật khẩu dài", "mật khẩu khác"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    code, _, err = run_cli(tmp_path, "users", "password", "lan")
    assert code == 2 and "không khớp" in err
    answers = iter(["mật khẩu dài", "mật khẩu dài"])
    assert run_cli(tmp_path, "users", "password", "lan")[0] == 0
    assert Accounts(tmp_path / "data").authenticate_password("lan", "mật khẩu dài") is not None
