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

On PostgreSQL a new comment (`insert_comment`) goes to the server as one message: the
advisory lock, then one statement that reads what it needs and writes (see
`_insert_in_one_message`). PostgreSQL runs a message of several statements as one
transaction, and in READ COMMITTED each statement reads from a snapshot taken when it
starts, so the writing statement, which starts after the lock is granted, sees every
write of the previous holder of the lock. One round trip instead of five or six.

Model.save() refuses to insert a comment, and delete() to remove one, outside this module.
"""

import contextlib
import functools
from contextvars import ContextVar

from django.db import connection, transaction
from django.db.models.signals import post_save, pre_save

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


LOCK_SQL = "SELECT pg_advisory_xact_lock(%s, %s)"


def _advisory_lock(key):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(LOCK_SQL, [LOCK_NAMESPACE, key])


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


def insert_comment(comment, parent_tree_id=None):
    """Insert a new comment as the last reply to comment.parent, or as a new thread.

    parent_tree_id is the parent's thread as the caller last read it, if it did (it
    saves a query); the lock is taken on that thread and the parent is read again
    under it, so a stale value only costs a retry.

    Inside the lock we do the least a nested-set insert needs (read the parent's
    numbers, shift the numbers to its right, insert), with plain SQL, instead of
    mptt's insert_node, which reads the parent again and builds ORM queries.
    """
    if connection.vendor == "postgresql":
        return _insert_in_one_message(comment, parent_tree_id)
    if comment.parent_id is None:
        with tree_write(new_tree=True):
            _place(comment, tree_id=_next_tree_id(), lft=1, level=0)
            comment.save()
        return comment
    tree_id = parent_tree_id
    for _attempt in range(3):
        if tree_id is None:
            tree_id = _thread_of(comment.parent_id)
        with tree_write(tree_ids=[tree_id]):
            # Read under the lock: the copy we were given may be stale, and a repair may
            # have moved the parent to another tree since we looked.
            found_tree_id, parent_lft, parent_rght, parent_level = _numbers_of(comment.parent_id)
            if found_tree_id == tree_id:
                _make_room_for_last_child(tree_id, parent_rght)
                _place(comment, tree_id=tree_id, lft=parent_rght, level=parent_level + 1)
                comment.save()
                _update_cached_parent(comment, tree_id, parent_lft, parent_rght + 2, parent_level)
                return comment
        tree_id = found_tree_id
    raise RuntimeError(f"Comment {comment.parent_id} keeps changing threads; is a repair running?")


# PostgreSQL: the lock and the write in one message


@contextlib.contextmanager
def _one_message_write():
    """Around a message that takes its own advisory lock and writes: marks the tree write,
    and inside a caller's transaction makes it a savepoint, so a refused insert (a form
    sent twice) leaves that transaction usable. Outside one, the message is its own
    transaction: PostgreSQL commits it when its last statement has run, or rolls all of
    it back, lock included, if one fails."""
    token = _inside.set(True)
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                yield
        else:
            yield
    finally:
        _inside.reset(token)


TREE_FIELDS = ("tree_id", "lft", "rght", "level")


@functools.cache
def _row_fields():
    """The columns a new comment is inserted with, but its id and its tree fields."""
    return [
        field
        for field in Comment._meta.concrete_fields
        if not field.primary_key and field.attname not in TREE_FIELDS
    ]


@functools.cache
def _one_message_sql(reply):
    """The lock and the insert, as one string of two statements.

    New thread: tree_id = MAX(tree_id) + 1, read by the INSERT itself under the
    new-thread lock. Reply: the parent's numbers (only if it is still in the locked
    thread), the shift of the numbers right of its rght, and the insert as its last child,
    in one statement; nothing is written when the parent is not in that thread any more.
    Answers the new row's id, tree_id, lft and level, and for a reply the parent's lft.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _row_fields())
    values = ", ".join(["%s"] * len(_row_fields()))
    tree_columns = "{lft}, {rght}, {tree_id}, {level}"
    if not reply:
        statement = (
            f"INSERT INTO {{table}} ({columns}, {tree_columns}) "
            f"SELECT {values}, 1, 2, COALESCE(MAX({{tree_id}}), 0) + 1, 0 FROM {{table}} "
            "RETURNING {id}, {tree_id}, {lft}, {level}"
        )
    else:
        statement = (
            "WITH parent AS ("
            "SELECT {tree_id}, {lft}, {rght}, {level} FROM {table} "
            "WHERE {id} = %s AND {tree_id} = %s"
            "), shifted AS ("
            "UPDATE {table} AS node SET "
            "{lft} = CASE WHEN node.{lft} > parent.{rght} THEN node.{lft} + 2 "
            "ELSE node.{lft} END, "
            "{rght} = node.{rght} + 2 "
            "FROM parent WHERE node.{tree_id} = parent.{tree_id} AND node.{rght} >= parent.{rght}"
            ") "
            f"INSERT INTO {{table}} ({columns}, {tree_columns}) "
            f"SELECT {values}, parent.{{rght}}, parent.{{rght}} + 1, parent.{{tree_id}}, "
            "parent.{level} + 1 FROM parent "
            "RETURNING {id}, {tree_id}, {lft}, {level}, (SELECT {lft} FROM parent)"
        )
    return f"{LOCK_SQL}; {_sql(statement)}"


def _insert_in_one_message(comment, parent_tree_id):
    """insert_comment() on PostgreSQL: one round trip (see the module docstring).

    The row is written as Model.save() would write it (the same values, prepared by each
    field, the same signals), without mptt's save(), which has nothing to add for a node
    whose tree fields are set."""
    comment.prepare_to_save()
    alias = connection.alias
    pre_save.send(sender=Comment, instance=comment, raw=False, using=alias, update_fields=None)
    values = [
        field.get_db_prep_save(field.pre_save(comment, True), connection) for field in _row_fields()
    ]
    if comment.parent_id is None:
        with _one_message_write():
            row = _execute_returning(
                _one_message_sql(False), [LOCK_NAMESPACE, NEW_TREE_KEY, *values]
            )
    else:
        tree_id = parent_tree_id
        for _attempt in range(3):
            if tree_id is None:
                tree_id = _thread_of(comment.parent_id)
            with _one_message_write():
                row = _execute_returning(
                    _one_message_sql(True),
                    [LOCK_NAMESPACE, tree_id, comment.parent_id, tree_id, *values],
                )
            if row is not None:
                break
            # The parent is not (or no longer) in that thread: find where it is now (or
            # learn that it is gone) and try again under that thread's lock.
            tree_id = None
        else:
            raise RuntimeError(
                f"Comment {comment.parent_id} keeps changing threads; is a repair running?"
            )
    comment.pk, comment.tree_id, comment.lft, comment.level = row[:4]
    comment.rght = comment.lft + 1
    comment._state.adding = False
    comment._state.db = alias
    comment._mptt_saved = True
    Comment._mptt_meta.update_mptt_cached_fields(comment)
    if comment.parent_id is not None:
        _update_cached_parent(comment, comment.tree_id, row[4], comment.rght + 1, comment.level - 1)
    post_save.send(
        sender=Comment, instance=comment, created=True, update_fields=None, raw=False, using=alias
    )
    return comment


def _execute_returning(sql, params):
    """Run the two statements; the row the second answered, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.nextset()
        return cursor.fetchone()


def _sql(template):
    """template with {table}, {tree_id}, {lft}, {rght} and {level} filled in, quoted."""
    quote = connection.ops.quote_name
    meta = Comment._meta
    return template.format(
        table=quote(meta.db_table),
        id=quote(meta.pk.column),
        **{
            name: quote(meta.get_field(name).column) for name in ("tree_id", "lft", "rght", "level")
        },
    )


def _fetch_one(template, params=()):
    with connection.cursor() as cursor:
        cursor.execute(_sql(template), params)
        return cursor.fetchone()


def _thread_of(comment_id):
    """The tree_id of a comment, read without a lock (only to know which lock to take)."""
    row = _fetch_one("SELECT {tree_id} FROM {table} WHERE {id} = %s", [comment_id])
    if row is None:
        raise Comment.DoesNotExist(f"Comment {comment_id} does not exist.")
    return row[0]


def _numbers_of(comment_id):
    """(tree_id, lft, rght, level) of a comment, read inside tree_write()."""
    row = _fetch_one(
        "SELECT {tree_id}, {lft}, {rght}, {level} FROM {table} WHERE {id} = %s", [comment_id]
    )
    if row is None:
        raise Comment.DoesNotExist(f"Comment {comment_id} does not exist.")
    return row


def _next_tree_id():
    """MAX(tree_id) + 1, read under the new-thread lock, which makes it ours."""
    return _fetch_one("SELECT COALESCE(MAX({tree_id}), 0) + 1 FROM {table}")[0]


def _make_room_for_last_child(tree_id, parent_rght):
    """Shift by 2 every number at or right of the parent's rght in its thread: the new last
    child takes (parent_rght, parent_rght + 1) and the parent and its ancestors widen."""
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(
                "UPDATE {table} SET "
                "{lft} = CASE WHEN {lft} > %s THEN {lft} + 2 ELSE {lft} END, "
                "{rght} = {rght} + 2 "
                "WHERE {tree_id} = %s AND {rght} >= %s"
            ),
            [parent_rght, tree_id, parent_rght],
        )


def _place(comment, tree_id, lft, level):
    # With lft and rght set, mptt's save() takes the node as placed and only inserts it.
    comment.tree_id, comment.lft, comment.rght, comment.level = tree_id, lft, lft + 1, level


def _update_cached_parent(comment, tree_id, lft, rght, level):
    """Keep a parent object the caller holds (comment.parent) in step with the database."""
    parent = Comment._meta.get_field("parent").get_cached_value(comment, None)
    if parent is not None:
        parent.tree_id, parent.lft, parent.rght, parent.level = tree_id, lft, rght, level


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
