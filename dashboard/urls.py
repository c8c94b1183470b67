from django.contrib import admin
from django.urls import path, re_path

from dashboard import feeds, views
from feed import api

urlpatterns = [
    path("", views.video_grid, name="dashboard-grid"),
    # The grid's twins: the same query string, as Atom and as JSON Feed 1.1.
    path("feed.atom", feeds.atom, name="feed-atom"),
    path("feed.json", feeds.json_feed, name="feed-json"),
    path("status", views.status_page, name="dashboard-status"),
    # path: a stored channel id is whatever YouTube said; a slash in it still finds the page.
    path("channel/<path:channel_id>", views.channel_page, name="dashboard-channel"),
    # The original contract: with or without the trailing slash, never a redirect.
    re_path(r"^api/v1/youtube/videos/?$", api.videos, name="api-videos"),
    # The original project's search path, kept for its clients: an alias of the same endpoint.
    re_path(r"^api/v1/youtube/video/?$", api.videos, name="api-videos-search"),
    re_path(r"^api/v1/youtube/changes/?$", api.changes, name="api-changes"),
    path("api/v1/openapi.json", api.openapi, name="api-openapi"),
    path("api", views.api_page, name="dashboard-api"),
    path("healthz", api.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Last: any other page address is our 404 page, also with DEBUG on (demo mode), where Django
    # would answer its own debug page (unstyled, and its inline <style> breaks the CSP). The
    # admin, the API and static files keep their own 404s; /admin still gets its slash.
    re_path(r"^(?!admin|api/|static/)", views.page_not_found),
]

# Ours, not Django's: it knows the demo banner and the site's layout.
handler404 = "dashboard.views.page_not_found"
handler500 = "dashboard.views.server_error"
