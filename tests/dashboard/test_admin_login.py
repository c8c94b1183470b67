"""Admin sign-in: django-axes locks an address out after LOGIN_FAILURE_LIMIT failures, before
any more passwords are hashed; Django's password validators refuse weak passwords."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)


def sign_in(client, password: str, address: str = "127.0.0.1"):
    return client.post(
        LOGIN, {"username": "admin", "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def test_it_locks_an_address_out_after_the_failure_limit(client, admin_user, settings, monkeypatch):
    settings.AXES_FAILURE_LIMIT = 3
    hashed = []
    original = PBKDF2PasswordHasher.verify
    monkeypatch.setattr(
        PBKDF2PasswordHasher,
        "verify",
        lambda self, password, encoded: hashed.append(1) or original(self, password, encoded),
    )
    assert [sign_in(client, f"guess {n}").status_code for n in range(2)] == [200, 200]
    assert sign_in(client, "guess 3").status_code == 429  # the third failure locks
    assert len(hashed) == 3
    # Locked: even the right password is refused, and no password is hashed any more.
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert b"locked" in response.content.lower()
    assert len(hashed) == 3
    # Another address is not locked, and may sign in.
    assert sign_in(client, PASSWORD, address="192.0.2.1").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "guess 1")
    sign_in(client, "guess 2")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    assert [sign_in(client, f"guess {n}").status_code for n in range(2)] == [200, 200]


@pytest.mark.parametrize("password", ["a", "password1234", "123456789012", "short"])
def test_it_refuses_weak_passwords(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_it_accepts_a_long_uncommon_password():
    validate_password(PASSWORD)
