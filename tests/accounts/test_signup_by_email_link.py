"""Sign-up never says whether an e-mail address already has an account: every valid sign-up
gets the same answer, and the account is made only from the link e-mailed to the address."""

import re

import pytest
from django.core import mail

from accounts.models import User

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newperson",
    "email": "new@example.com",
    "password1": "correct-horse-battery",
    "password2": "correct-horse-battery",
    "age_confirmed": "on",
}


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mail.outbox


def sign_up(client, **changes):
    return client.post("/accounts/signup/", {**GOOD, **changes})


def link_in(message) -> str:
    return re.search(r"https?://testserver(/accounts/signup/confirm/\S+/)", message.body).group(1)


def page_after(client, response) -> str:
    body = client.get(response["Location"]).content.decode()
    body = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", body)  # masked CSRF tokens
    return re.sub(r'nonce="[^"]*"', "", body)


def test_a_registered_address_gets_the_same_answer_as_a_new_one(client, make_user, outbox):
    make_user("owner", email="taken@example.com")
    fresh = sign_up(client, username="fresh1", email="brand-new@example.com")
    taken = sign_up(client, username="fresh2", email="TAKEN@example.com")
    assert (
        (fresh.status_code, fresh["Location"])
        == (taken.status_code, taken["Location"])
        == (302, "/accounts/signup/sent/")
    )
    assert page_after(client, fresh) == page_after(client, taken)
    assert "Check your e-mail" in page_after(client, fresh)
    assert not User.objects.filter(username__in=["fresh1", "fresh2"]).exists()
    # The new address gets a link; the owner of the registered one is told someone tried.
    assert [m.to for m in outbox] == [["brand-new@example.com"], ["taken@example.com"]]
    assert "/accounts/signup/confirm/" in outbox[0].body
    assert "/accounts/signup/confirm/" not in outbox[1].body
    assert "already has a Clip account" in outbox[1].body
    assert "/accounts/password/reset/" in outbox[1].body


def test_the_emailed_link_makes_the_account_and_signs_in(client, outbox):
    assert sign_up(client, display_name="").status_code == 302
    path = link_in(outbox[0])
    confirm_page = client.get(path)
    assert confirm_page.status_code == 200
    assert not User.objects.filter(username="newperson").exists()  # a GET (a mail scanner) makes nothing
    response = client.post(path)
    assert response.status_code == 302
    user = User.objects.get(username="newperson")
    assert user.email == "new@example.com"
    assert user.check_password("correct-horse-battery")
    assert user.age_confirmed_at is not None
    assert client.get("/accounts/profile/").status_code == 200


def test_a_link_works_once(client, outbox):
    sign_up(client)
    path = link_in(outbox[0])
    client.post(path)
    client.logout()
    again = client.post(path)
    assert again.status_code == 400
    assert "This link has expired or was already used." in again.content.decode()
    assert User.objects.filter(username="newperson").count() == 1


def test_a_made_up_link_changes_nothing(client):
    response = client.post("/accounts/signup/confirm/not-a-real-token/")
    assert response.status_code == 400
    assert "This link has expired or was already used." in response.content.decode()
    assert not User.objects.exists()


def test_a_name_taken_while_the_link_waited_is_refused_clearly(client, make_user, outbox):
    sign_up(client)
    make_user("NewPerson")
    response = client.post(link_in(outbox[0]))
    assert response.status_code == 400
    assert "That username was taken while the link waited" in response.content.decode()
    assert User.objects.count() == 1


def test_an_address_registered_while_the_link_waited_is_refused_clearly(client, make_user, outbox):
    sign_up(client)
    make_user("someone", email="new@example.com")
    response = client.post(link_in(outbox[0]))
    assert response.status_code == 400
    assert "An account with this address was made while the link waited" in response.content.decode()
    assert User.objects.count() == 1


def test_an_address_gets_a_few_mails_an_hour_at_most(client, make_user, outbox, settings):
    settings.SIGNUPS_PER_HOUR_PER_IP = 100
    make_user("owner", email="taken@example.com")
    answers = {sign_up(client, username=f"try{n}", email="taken@example.com")["Location"] for n in range(6)}
    assert answers == {"/accounts/signup/sent/"}
    assert len(outbox) == 3
