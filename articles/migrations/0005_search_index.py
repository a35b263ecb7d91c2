"""A GIN index over the search document (articles.search.document_vector), on PostgreSQL
only: SQLite searches without it. The expression here must stay identical to the one the
search builds, or PostgreSQL will not use the index (tests/test_search_tags.py checks)."""

from django.db import migrations

INDEX_NAME = "article_search_document"


def search_index(apps):
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    document = (
        SearchVector("title", weight="A", config="russian")
        + SearchVector("lead", weight="B", config="russian")
        + SearchVector("body", weight="C", config="russian")
    )
    return GinIndex(document, name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("articles", "Article"), search_index(apps))


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("articles", "Article"), search_index(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_tags_and_views"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
