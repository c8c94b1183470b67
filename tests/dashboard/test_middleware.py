from __future__ import annotations

from django.conf import settings


def test_every_response_carries_the_permissions_policy(client, db):
    for path in ["/healthz", "/api/v1/youtube/videos", "/", "/admin/login/", "/no/such/page"]:
        response = client.get(path)
        assert response["Permissions-Policy"] == settings.PERMISSIONS_POLICY, path
    assert "camera=()" in settings.PERMISSIONS_POLICY
    assert "geolocation=()" in settings.PERMISSIONS_POLICY
