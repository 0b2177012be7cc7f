"""Log-in abuse: the admin's log-in shares the site's lockout and tells nothing about accounts
that are not staff; the counted address cannot be chosen by the client; the name counter
follows the account, not the spelling; failures are counted atomically."""

import os
import re
import subprocess
import sys
import threading
import time
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.test import Client, RequestFactory

from accounts.models import User
from tiktok import ratelimit

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed attempts"


def log_in(client, username, password, *, path="/accounts/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def admin_log_in(client, username, password, **extra):
    return log_in(client, username, password, path="/admin/login/?next=/admin/", **extra)


def normalised(response, username: str) -> str:
    """The page without what differs between any two responses (CSRF token, CSP nonce) and
    without the name typed in, so that two answers can be compared whole."""
    body = response.content.decode()
    body = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", body)  # masked CSRF tokens
    body = re.sub(r'nonce="[^"]*"', "", body)
    return body.replace(username, "NAME")


# --- The admin's log-in --------------------------------------------------------------------------


@pytest.mark.parametrize("two_factor", [False, True])
def test_the_admin_log_in_locks_out_after_the_same_number_of_failures_as_the_site(
    client, make_user, settings, two_factor
):
    settings.STAFF_2FA = two_factor
    settings.LOGIN_MAX_FAILURES = 3
    make_user("boss", password="boss-password-123", is_staff=True, is_superuser=True)
    for n in range(3):
        response = admin_log_in(client, "boss", "wrong", REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert response.status_code == 200
    response = admin_log_in(client, "boss", "boss-password-123", REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_at_the_admin_and_at_the_site_count_together(client, make_user, settings):
    settings.STAFF_2FA = False
    settings.LOGIN_MAX_FAILURES = 3
    make_user("boss", password="boss-password-123", is_staff=True, is_superuser=True)
    admin_log_in(client, "boss", "wrong", REMOTE_ADDR="192.0.2.1")
    admin_log_in(client, "boss", "wrong", REMOTE_ADDR="192.0.2.2")
    log_in(client, "boss", "wrong", REMOTE_ADDR="192.0.2.3")
    response = log_in(client, "boss", "boss-password-123", REMOTE_ADDR="192.0.2.4")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("two_factor", [False, True])
def test_the_admin_log_in_answers_alike_for_a_wrong_password_a_member_and_a_stranger(
    client, make_user, settings, two_factor
):
    settings.STAFF_2FA = two_factor
    make_user("boss", password="boss-password-123", is_staff=True, is_superuser=True)
    make_user("ann", password="ann-password-123")
    attempts = {
        "wrong password of a staff account": ("boss", "not-the-password"),
        "right password of an account that is not staff": ("ann", "ann-password-123"),
        "no such account": ("nobody", "whatever-password"),
    }
    answers = {}
    for label, (username, password) in attempts.items():
        response = admin_log_in(Client(), username, password)
        answers[label] = (response.status_code, normalised(response, username))
    assert len(set(answers.values())) == 1, {k: v[0] for k, v in answers.items()}
    status, body = answers["no such account"]
    assert status == 200
    assert "Please enter the correct username and password for a staff account." in body


def test_the_admin_never_checks_the_password_of_an_account_that_is_not_staff(client, make_user, settings):
    settings.STAFF_2FA = True
    make_user("boss", password="boss-password-123", is_staff=True, is_superuser=True)
    make_user("ann", password="ann-password-123")
    real = User.check_password
    with mock.patch.object(User, "check_password", autospec=True, side_effect=real) as checked:
        admin_log_in(client, "ann", "ann-password-123")
        assert checked.call_count == 0
        assert "_auth_user_id" not in client.session
        admin_log_in(client, "boss", "boss-password-123")  # the spy does see a staff account's check
        assert [call.args[0].username for call in checked.call_args_list] == ["boss"]


# --- Which address is counted ------------------------------------------------------------------


def test_the_address_is_the_connections_own_unless_a_trusted_proxy_header_is_configured(settings):
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_REAL_IP="198.51.100.7")
    settings.TRUSTED_PROXY_HEADER = ""
    settings.TRUSTED_PROXIES = []
    assert ratelimit.client_ip(spoofed) == "203.0.113.5"
    settings.TRUSTED_PROXY_HEADER = "X-Real-IP"
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert ratelimit.client_ip(spoofed) == "203.0.113.5"  # not sent by a trusted proxy
    behind = factory.get("/", REMOTE_ADDR="10.2.3.4", HTTP_X_REAL_IP="198.51.100.7")
    assert ratelimit.client_ip(behind) == "198.51.100.7"
    garbage = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="not-an-address")
    assert ratelimit.client_ip(garbage) == "127.0.0.1"


def test_a_unix_socket_proxy_is_trusted_only_when_listed(settings):
    behind = RequestFactory().get("/", REMOTE_ADDR="", HTTP_X_REAL_IP="198.51.100.7")
    settings.TRUSTED_PROXY_HEADER = "X-Real-IP"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert ratelimit.client_ip(behind) == ""
    settings.TRUSTED_PROXIES = ["unix"]
    assert ratelimit.client_ip(behind) == "198.51.100.7"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRUSTED_PROXIES": "10.0.0.0/8,nonsense"}, "TRUSTED_PROXIES must be addresses or CIDR ranges"),
        ({"TRUSTED_PROXY_HEADER": "X Real IP", "TRUSTED_PROXIES": "127.0.0.1"}, "must be a header name"),
        ({"TRUSTED_PROXY_HEADER": "X-Real-IP"}, "TRUSTED_PROXIES is empty"),
    ],
)
def test_a_malformed_proxy_setting_stops_start_up_naming_it(env, message):
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "TRUSTED_PROXY_HEADER")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_a_spoofed_x_real_ip_does_not_change_the_counted_address(client, make_user, settings):
    settings.TRUSTED_PROXY_HEADER = ""
    settings.LOGIN_MAX_FAILURES = 3
    make_user("kim", password="kim-password-123")
    for n in range(3):  # three names, three claimed addresses, one real address
        log_in(client, f"someone{n}", "wrong", REMOTE_ADDR="203.0.113.5", HTTP_X_REAL_IP=f"198.51.100.{n}")
    response = log_in(client, "kim", "kim-password-123", REMOTE_ADDR="203.0.113.5", HTTP_X_REAL_IP="198.51.100.99")
    assert response.status_code == 429


def test_a_trusted_proxys_header_is_honoured(client, make_user, settings):
    settings.TRUSTED_PROXY_HEADER = "X-Client-Address"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.LOGIN_MAX_FAILURES = 3
    make_user("kim", password="kim-password-123")
    for n in range(3):  # one visitor behind the proxy fails three times
        log_in(client, f"someone{n}", "wrong", REMOTE_ADDR="127.0.0.1", HTTP_X_CLIENT_ADDRESS="198.51.100.1")
    blocked = log_in(Client(), "other", "x", REMOTE_ADDR="127.0.0.1", HTTP_X_CLIENT_ADDRESS="198.51.100.1")
    assert blocked.status_code == 429
    # another visitor behind the same proxy is not locked out with them
    response = log_in(client, "kim", "kim-password-123", REMOTE_ADDR="127.0.0.1", HTTP_X_CLIENT_ADDRESS="198.51.100.2")
    assert response.status_code == 302


def test_two_ipv6_addresses_in_one_slash_64_share_a_counter(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("kim", password="kim-password-123")
    for n in range(3):
        log_in(client, f"someone{n}", "wrong", REMOTE_ADDR=f"2001:db8:1:2::{n + 1}")
    response = log_in(Client(), "kim", "kim-password-123", REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:9")
    assert response.status_code == 429
    response = log_in(Client(), "kim", "kim-password-123", REMOTE_ADDR="2001:db8:1:3::1")
    assert response.status_code == 302


# --- Which name is counted ---------------------------------------------------------------------


def test_a_fullwidth_spelling_of_a_name_shares_its_counter(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("alice", password="alice-password-123")
    for n, spelling in enumerate(["alice", "ALICE", "alice"]):
        log_in(client, spelling, "wrong", REMOTE_ADDR=f"192.0.2.{n + 1}")
    response = log_in(client, "ａｌｉｃｅ", "alice-password-123", REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_spellings_of_a_name_nobody_has_share_a_counter(client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    log_in(client, "ghost", "wrong", REMOTE_ADDR="192.0.2.1")
    log_in(client, "ＧＨＯＳＴ", "wrong", REMOTE_ADDR="192.0.2.2")
    assert log_in(client, "Ghost", "wrong", REMOTE_ADDR="192.0.2.3").status_code == 429


# --- Counting is atomic ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_never_get_more_password_checks_than_the_limit(make_user, settings):
    """Six attempts at once for one name, with a limit of three: at most three passwords are
    checked. Each check waits for the others, so an implementation that looks at the counter
    before any of them has counted lets all six through."""
    settings.LOGIN_MAX_FAILURES = 3
    make_user("sam", password="sam-password-123")
    attempts = 6
    barrier = threading.Barrier(attempts, timeout=3)
    checks = []
    lock = threading.Lock()
    real = User.check_password

    def slow_check(user, raw):
        with lock:
            checks.append(raw)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return real(user, raw)

    statuses = []

    def attempt(n):
        try:
            statuses.append(log_in(Client(), "sam", f"wrong-{n}", REMOTE_ADDR=f"192.0.2.{n + 1}").status_code)
        finally:
            connection.close()

    with mock.patch.object(User, "check_password", autospec=True, side_effect=slow_check):
        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert len(checks) == 3
    assert sorted(statuses) == [200, 200, 200, 429, 429, 429]


@pytest.mark.django_db(transaction=True)
def test_the_counting_primitive_admits_exactly_the_limit_from_many_threads():
    """Eight hits at once, limit three. Reading the database cache is slowed down so that,
    unless a counter's read and write are one atomic step, the threads all read the same count
    and more than three are admitted."""
    admitted = []
    barrier = threading.Barrier(8, timeout=10)
    real_get = DatabaseCache.get

    def slow_get(self, *args, **kwargs):
        value = real_get(self, *args, **kwargs)
        time.sleep(0.05)
        return value

    def hit():
        try:
            barrier.wait()
            admitted.append(ratelimit.hit("test-atomic", "one-name", limit=3, window=600))
        finally:
            connection.close()

    with mock.patch.object(DatabaseCache, "get", slow_get):
        threads = [threading.Thread(target=hit) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(admitted) == [False] * 5 + [True] * 3
    assert ratelimit.count("test-atomic", "one-name", window=600) == 8
