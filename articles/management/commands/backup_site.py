"""Back the whole site up into one directory: the database as a portable fixture and the
uploaded images as a tar archive. See docs/backup.md for the schedule and for restoring.

    python manage.py backup_site /srv/backups/newsportal-$(date +%F)

writes

    data.json       every row but content types, permissions and sessions, read in one
                    consistent snapshot; references to content types and permissions by
                    natural key, so `loaddata` on an empty, migrated database (SQLite or
                    PostgreSQL) brings it back
    media.tar.gz    MEDIA_ROOT: covers, images in the text, their renditions, avatars

The fixture is engine-neutral (a SQLite site can move to PostgreSQL with it); for large
PostgreSQL sites pg_dump is faster, and docs/backup.md describes both.
"""

import contextlib
import os
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# What dumpdata leaves out: rows that `migrate` makes by itself (content types and
# permissions, referred to by natural keys instead) and sessions, which are disposable.
# Primary keys are kept (no --natural-primary): with it the site row (django.contrib.sites)
# would be matched by its domain on restore and loaded as a second site, leaving SITE_ID
# pointing at migrate's "example.com".
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]
DATA_FILE = "data.json"
MEDIA_FILE = "media.tar.gz"


@contextlib.contextmanager
def consistent_snapshot(connection):
    """Read everything the dump reads as of one moment, while the site keeps writing."""
    if connection.in_atomic_block:
        # Already in a transaction (as in tests): it is the snapshot there is.
        yield
    elif connection.vendor == "postgresql":
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        # A deferred read transaction: in WAL mode it sees one snapshot and blocks no
        # writer (the site's own transactions are IMMEDIATE, which would).
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
    else:
        yield


def dump_data(path, database=DEFAULT_DB_ALIAS):
    connection = connections[database]
    with consistent_snapshot(connection):
        call_command(
            "dumpdata",
            natural_foreign=True,
            exclude=EXCLUDED,
            database=database,
            indent=1,
            output=str(path),
            verbosity=0,
        )


def archive_media(path, media_root=None):
    """MEDIA_ROOT as a gzipped tar whose members are relative to it; returns the file count."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    count = 0
    with tarfile.open(path, "w:gz") as archive:
        if media_root.is_dir():
            for directory, _subdirectories, files in os.walk(media_root):
                for name in sorted(files):
                    full = Path(directory) / name
                    archive.add(full, arcname=str(full.relative_to(media_root)), recursive=False)
                    count += 1
    return count


class Command(BaseCommand):
    help = (
        "Back the site up into DIRECTORY: data.json (dumpdata, natural foreign keys, one "
        "consistent snapshot) and media.tar.gz (MEDIA_ROOT). Restoring: docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Where to write; created, must not hold a backup.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to back up.")
        parser.add_argument("--no-media", action="store_true", help="Only the database.")

    def handle(self, *args, directory, database, no_media, verbosity, **options):
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        for name in (DATA_FILE, MEDIA_FILE):
            if (target / name).exists():
                raise CommandError(f"{target / name} exists; back up into a new directory.")
        try:
            dump_data(target / DATA_FILE, database)
            files = None if no_media else archive_media(target / MEDIA_FILE)
        except Exception as error:
            for name in (DATA_FILE, MEDIA_FILE):
                (target / name).unlink(missing_ok=True)
            raise CommandError(f"The backup failed and was removed: {error}") from error
        if verbosity >= 1:
            size = (target / DATA_FILE).stat().st_size
            self.stdout.write(f"{target / DATA_FILE}: {size} bytes")
            if files is not None:
                self.stdout.write(
                    f"{target / MEDIA_FILE}: {files} files from {settings.MEDIA_ROOT}"
                )
