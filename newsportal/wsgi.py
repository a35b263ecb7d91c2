import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsportal.settings")

application = get_wsgi_application()

# Stored pages for anonymous readers are answered before Django's request handling.
from newsportal.pagecache import CachedPagesApplication  # noqa: E402 (needs the settings)

application = CachedPagesApplication(application)
