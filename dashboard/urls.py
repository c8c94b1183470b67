from django.contrib import admin
from django.urls import path, re_path

from feed import api

urlpatterns = [
    # The original contract: with or without the trailing slash, never a redirect.
    re_path(r"^api/v1/youtube/videos/?$", api.videos, name="api-videos"),
    # The original project's search path, kept for its clients: an alias of the same endpoint.
    re_path(r"^api/v1/youtube/video/?$", api.videos, name="api-videos-search"),
    path("api/v1/openapi.json", api.openapi, name="api-openapi"),
    path("healthz", api.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
