"""The password policy for new passwords (staff and citizens alike): long enough, of mixed kinds, not the
account's name and not one of the passwords everybody tries first."""

from __future__ import annotations

from orchestrator.core.i18n import Message, _

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "qwerty123",
        "qwertyuiop",
        "1234567890",
        "12345678910",
        "123456789a",
        "a123456789",
        "abc1234567",
        "1qaz2wsx3edc",
        "iloveyou12",
        "admin12345",
        "woaini1314",
        "zxcvbnm123",
        "aa12345678",
        "welcome123",
        "changeme12",
        "p@ssw0rd12",
    }
)


def problems(password: str, username: str = "") -> list[Message]:
    """What is wrong with a new password (empty: it may be used)."""
    found: list[Message] = []
    if len(password) < MIN_LENGTH:
        found.append(_("a password needs at least {count} characters", count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        found.append(_("a password has at most {count} characters", count=MAX_LENGTH))
    kinds = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if kinds < 3:
        found.append(_("a password mixes at least three of: lower-case, upper-case, digits, symbols"))
    if username and len(username) >= 3 and username.lower() in password.lower():
        found.append(_("a password may not contain the account's name"))
    if password.lower() in COMMON:
        found.append(_("this password is among the first an attacker tries"))
    return found
