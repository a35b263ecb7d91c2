"""The one place that writes comment trees.

django-mptt keeps each thread as a nested set; an insert shifts lft/rght values of the
nodes after it, and a new thread takes tree_id = MAX(tree_id) + 1 over the whole table.
Two concurrent writers that read the same numbers corrupt the tree (mptt's documentation
warns of it; we measured about two threads in three broken under 8 concurrent writers).
So every write that touches tree fields runs through `tree_write()`:

- on PostgreSQL it takes transaction-scoped advisory locks: one per thread (tree_id) for
  a reply, and one global lock for a new thread, whose tree_id allocation is global;
- on SQLite, transactions are BEGIN IMMEDIATE (see settings), which already admits one
  writer at a time; the busy timeout makes the others wait instead of failing.

Model.save() refuses to insert a comment, and delete() to remove one, outside this module.
"""

import contextlib
from contextvars import ContextVar

from django.db import connection, transaction

from .models import Comment

# Arbitrary constant naming our advisory-lock namespace (two-int form: namespace, key).
LOCK_NAMESPACE = 0x4E50  # "NP"
NEW_TREE_KEY = 0

_inside = ContextVar("comment_tree_write", default=False)


class TreeWriteOutsideLock(RuntimeError):
    pass


def ensure_inside_tree_write():
    if not _inside.get():
        raise TreeWriteOutsideLock(
            "Comment trees are written only through comments.tree (insert_comment, ...)."
        )


def _advisory_lock(key):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, key])


@contextlib.contextmanager
def tree_write(tree_ids=(), new_tree=False):
    """A transaction holding the locks for writing the given trees (and/or a new one).

    Locks are taken in a fixed order (new-tree lock first, then tree ids ascending) so two
    writers can never wait on each other in a cycle.
    """
    token = _inside.set(True)
    try:
        with transaction.atomic():
            if new_tree:
                _advisory_lock(NEW_TREE_KEY)
            for tree_id in sorted(set(tree_ids)):
                _advisory_lock(tree_id)
            yield
    finally:
        _inside.reset(token)


def insert_comment(comment):
    """Insert a new comment as the last reply to comment.parent, or as a new thread."""
    parent_id = comment.parent_id
    if parent_id is None:
        with tree_write(new_tree=True):
            comment.save()
        return comment
    for _attempt in range(3):
        tree_id = Comment.objects.filter(pk=parent_id).values_list("tree_id", flat=True).get()
        with tree_write(tree_ids=[tree_id]):
            # Re-read the parent under the lock: the copy we were given may be stale, and a
            # repair may have moved it to another tree since we looked.
            comment.parent = Comment.objects.get(pk=parent_id)
            if comment.parent.tree_id == tree_id:
                comment.save()
                return comment
    raise RuntimeError(f"Comment {parent_id} keeps changing threads; is a repair running?")


def insert_many(comments):
    """Insert comments in order (parents before replies) in one transaction; for importers.

    Holds the global new-tree lock for the whole batch, which also excludes every other
    writer of new threads; replies into existing threads lock those threads too.
    """
    existing_trees = {
        c.parent.tree_id for c in comments if c.parent_id and c.parent.pk and c.parent.tree_id
    }
    with tree_write(tree_ids=existing_trees, new_tree=True):
        for comment in comments:
            if comment.parent is not None:
                comment.parent = Comment.objects.get(pk=comment.parent.pk)
            comment.save()
    return comments


def delete_thread(tree_id):
    """Remove a whole thread (its root and every reply)."""
    with tree_write(tree_ids=[tree_id]):
        Comment.objects.filter(tree_id=tree_id).delete()


def rebuild_trees(tree_ids):
    """Renumber the given threads from their parent links, which are the source of truth.

    A corrupted node may carry another thread's tree_id, so each broken node is followed up
    its parent links to its real root, and that root's whole thread is renumbered.
    """
    article_ids = list(
        Comment.objects.filter(tree_id__in=tree_ids).values_list("article_id", flat=True).distinct()
    )
    lock_ids = set(
        Comment.objects.filter(article_id__in=article_ids).values_list("tree_id", flat=True)
    )
    with tree_write(tree_ids=lock_ids, new_tree=True):
        nodes = {
            node.pk: node
            for node in Comment.objects.filter(article_id__in=article_ids).only(
                "pk", "parent_id", "tree_id", "lft", "rght", "level"
            )
        }
        children = {}
        for node in sorted(nodes.values(), key=lambda n: n.pk):
            children.setdefault(node.parent_id, []).append(node)
        roots = {}
        for node in nodes.values():
            if node.tree_id not in tree_ids:
                continue
            seen = set()
            while node.parent_id is not None and node.parent_id in nodes and node.pk not in seen:
                seen.add(node.pk)
                node = nodes[node.parent_id]
            roots[node.pk] = node
        changed = []
        for root in roots.values():
            changed.extend(_renumber(root, children))
        Comment.objects.bulk_update(changed, ["tree_id", "lft", "rght", "level"], batch_size=1000)
    return len(roots)


def _renumber(root, children):
    counter = 1
    changed = []
    stack = [(root, 0, False)]
    numbers = {}
    while stack:
        node, level, closing = stack.pop()
        if closing:
            lft = numbers[node.pk]
            new = (root.tree_id, lft, counter, level)
            counter += 1
            if (node.tree_id, node.lft, node.rght, node.level) != new:
                node.tree_id, node.lft, node.rght, node.level = new
                changed.append(node)
            continue
        numbers[node.pk] = counter
        counter += 1
        stack.append((node, level, True))
        for child in reversed(children.get(node.pk, [])):
            stack.append((child, level + 1, False))
    return changed


def broken_trees(article_ids=None):
    """Thread ids whose stored nested set differs from what a rebuild would produce.

    A rebuild orders siblings by id; replies are always appended as last child, so a
    healthy tree already has them in that order.
    """
    rows = Comment.objects.order_by().values_list(
        "pk", "parent_id", "tree_id", "lft", "rght", "level"
    )
    if article_ids is not None:
        rows = rows.filter(article_id__in=article_ids)
    by_tree = {}
    for row in rows.iterator(chunk_size=5000):
        by_tree.setdefault(row[2], []).append(row)
    return sorted(tree_id for tree_id, nodes in by_tree.items() if not _is_valid(nodes))


def _is_valid(nodes):
    roots = [n for n in nodes if n[1] is None]
    if len(roots) != 1:
        return False
    children = {}
    stored = {}
    for pk, parent_id, _tree_id, lft, rght, level in nodes:
        children.setdefault(parent_id, []).append(pk)
        stored[pk] = (lft, rght, level)
    expected = {}
    counter = 1
    # Iterative depth-first numbering, as a rebuild would do it.
    stack = [(roots[0][0], 0, False)]
    while stack:
        pk, level, closing = stack.pop()
        if closing:
            expected[pk] = (expected[pk][0], counter, level)
            counter += 1
            continue
        if pk in expected:
            return False  # a cycle
        expected[pk] = (counter, None, level)
        counter += 1
        stack.append((pk, level, True))
        for child in sorted(children.get(pk, []), reverse=True):
            stack.append((child, level + 1, False))
    return expected == stored
