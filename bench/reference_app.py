"""The reference of the load benchmarks: the same bytes our server sent, from memory.

Served by gunicorn with the project's own gunicorn.conf.py (same workers, same logging):

    BENCH_REFERENCE_MANIFEST=pages.json gunicorn -c gunicorn.conf.py \
        --pythonpath bench reference_app:application

pages.json maps a path to a file holding a page as our server rendered it (fetched from
the real server by bench/load.py) and its Content-Type. The query string is ignored.

BENCH_REFERENCE_KIND=django (default): a Django view in a minimal Django (no middleware, no
database, no templates) answers HttpResponse(bytes): the cost of Django itself.
BENCH_REFERENCE_KIND=wsgi: a bare WSGI callable: the cost of gunicorn alone.
"""

import json
import os
from pathlib import Path

MANIFEST = json.loads(Path(os.environ["BENCH_REFERENCE_MANIFEST"]).read_text())
PAGES = {
    path: (Path(entry["file"]).read_bytes(), entry["content_type"])
    for path, entry in MANIFEST.items()
}
KIND = os.environ.get("BENCH_REFERENCE_KIND", "django")

if KIND == "django":
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="reference-only-" + "r" * 40,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_I18N=False,
    )
    django.setup()

    from django.core.wsgi import get_wsgi_application
    from django.http import Http404, HttpResponse
    from django.urls import re_path

    def page(request):
        try:
            body, content_type = PAGES[request.path]
        except KeyError:
            raise Http404 from None
        return HttpResponse(body, content_type=content_type)

    urlpatterns = [re_path(r"", page)]
    application = get_wsgi_application()

else:

    def application(environ, start_response):
        entry = PAGES.get(environ.get("PATH_INFO", "/"))
        if entry is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        body, content_type = entry
        start_response(
            "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body]
