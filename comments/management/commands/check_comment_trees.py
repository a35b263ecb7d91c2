"""Verify that every discussion thread is a valid nested set; optionally repair them.

Exit status 0 when all threads are sound (or were repaired), 1 when some are broken, so
monitoring and deploy scripts can run it as a check.
"""

from django.core.management.base import BaseCommand, CommandError

from comments import tree
from comments.models import Comment
from comments.services import forget_latest


class Command(BaseCommand):
    help = "Check that comment threads are valid nested sets; --repair rebuilds broken ones."

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Rebuild broken threads from their parent links (under the tree-write lock).",
        )
        parser.add_argument(
            "--article", type=int, action="append", help="Only the threads of this article id."
        )

    def handle(self, *args, repair=False, article=None, **options):
        broken = tree.broken_trees(article_ids=article)
        threads = Comment.objects.roots()
        if article:
            threads = threads.filter(article_id__in=article)
        total = threads.count()
        if not broken:
            self.stdout.write(self.style.SUCCESS(f"All {total} threads are valid."))
            return
        articles = dict(
            Comment.objects.filter(tree_id__in=broken, parent__isnull=True).values_list(
                "tree_id", "article_id"
            )
        )
        for tree_id in broken:
            self.stdout.write(f"Broken thread: tree_id={tree_id} article={articles.get(tree_id)}")
        if not repair:
            raise CommandError(
                f"{len(broken)} of {total} threads are broken. "
                "Run with --repair to rebuild them from their parent links.",
                returncode=1,
            )
        tree.rebuild_trees(broken)
        # The renumbered threads may sort differently ("most replies"): redraw what is kept.
        forget_latest()
        still_broken = tree.broken_trees(article_ids=article)
        if still_broken:
            raise CommandError(
                f"{len(still_broken)} threads are still broken after the rebuild: {still_broken}",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"Repaired {len(broken)} of {total} threads."))
