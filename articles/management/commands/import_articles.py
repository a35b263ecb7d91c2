"""Import an article archive with its discussions: see docs/import-format.md.

Every file is checked before anything is written; then each file is written in one
transaction. Importing a file again updates what it imported before and adds nothing twice.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from articles import importer


class Command(BaseCommand):
    help = (
        "Import articles and their comments from JSON files (format: docs/import-format.md). "
        "All files are checked first; a file imports whole or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE.json", help="Files to import.")
        parser.add_argument("--quiet", action="store_true", help="Do not show progress.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the files and report what an import would do, writing nothing.",
        )

    def handle(self, *args, files, quiet, dry_run, verbosity, **options):
        try:
            parsed = importer.read_files(files)
        except importer.ImportFailed as failure:
            raise CommandError(failure.report()) from None

        progress = None
        if verbosity >= 1 and not quiet:
            progress = importer.ProgressBar(self.stderr, interactive=self.stderr.isatty())
        try:
            results = importer.import_files(parsed, progress=progress, dry_run=dry_run)
        except importer.WriteFailed as failure:
            raise CommandError(failure.report()) from None

        if verbosity >= 1:
            for name, stats in results:
                self.stdout.write(stats.summary(name))
            if len(results) > 1:
                total = sum((stats for _name, stats in results), importer.Stats())
                self.stdout.write(self.style.SUCCESS(total.summary(_("Total"))))
            if dry_run:
                self.stdout.write(self.style.WARNING(_("Dry run: nothing was written.")))
