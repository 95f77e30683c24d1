"""The admin's list of people."""

import pytest

from tests.conftest import make_grant

pytestmark = pytest.mark.django_db


def test_users_list_shows_spotify_status(admin_client, emulator, person):
    make_grant(emulator, person)
    page = admin_client.get("/admin/accounts/user/").content.decode()
    assert "Connected" in page
