"""The accounts app's pages, mounted at the site root by newsportal/urls.py:

    path("", include("accounts.site_urls")),

(in place of the former `path("users/", include("accounts.urls"))`, and before the allauth
include). One include, so every name lives in the one "accounts" namespace:
accounts:profile at /users/<username>/ and accounts:settings at /accounts/profile/.
"""

from django.urls import include, path

from . import urls, views

app_name = "accounts"

urlpatterns = [
    path("users/", include(urls.urlpatterns)),
    path("accounts/profile/", views.settings, name="settings"),
]
