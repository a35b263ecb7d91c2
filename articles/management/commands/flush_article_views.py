"""Move article views counted in the cache into the database; for cron, e.g. every minute:

    * * * * *  cd /srv/newsportal && .venv/bin/python manage.py flush_article_views --quiet

The site also flushes by itself from the article pages (see articles/popularity.py); this
covers quiet hours, when no page view comes to trigger it.
"""

from django.core.management.base import BaseCommand, CommandError

from articles import popularity


class Command(BaseCommand):
    help = "Move article views counted in the cache into the database (safe to run any time)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print nothing on success.")

    def handle(self, *args, quiet, **options):
        try:
            moved = popularity.flush()
        except Exception as error:
            raise CommandError(f"Flushing failed; the views stay in the cache: {error}") from error
        if moved is None:
            if not quiet:
                self.stdout.write("Another flush is running; nothing to do.")
            return
        if not quiet:
            self.stdout.write(f"Moved {moved} view(s) into the database.")
