"""The full-text search index (see newsdesk/web/search.py), per database vendor.

SQLite: an FTS5 table ``web_search`` (rowid = article id) holding title, body and byline.
PostgreSQL: ``web_search_document`` (article id, weighted tsvector) with a GIN index. It
has no foreign key on purpose: Django's test flush truncates articles_article without
CASCADE; rows of deleted articles are removed by the post_delete handler and never match
a join to articles_article anyway.
"""

from django.db import migrations

SQLITE_CREATE = """
CREATE VIRTUAL TABLE IF NOT EXISTS web_search USING fts5(
    title, body, byline, tokenize = 'porter unicode61 remove_diacritics 2'
)
"""
# char(57344), char(57345): the snippet markers, never allowed in indexed text.
SQLITE_FILL = """
INSERT INTO web_search (rowid, title, body, byline)
SELECT a.id,
       replace(replace(a.title, char(57344), ''), char(57345), ''),
       replace(replace(a.text, char(57344), ''), char(57345), ''),
       coalesce((SELECT group_concat(au.name, ' ') FROM articles_byline b
                 JOIN articles_author au ON au.id = b.author_id
                 WHERE b.article_id = a.id), '')
FROM articles_article a
"""
PG_CREATE = """
CREATE TABLE IF NOT EXISTS web_search_document (
    article_id bigint PRIMARY KEY,
    document tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS web_search_document_gin ON web_search_document USING gin (document);
"""
# "<" is replaced because PostgreSQL's parser would take "<vote>" for a tag and drop it.
PG_FILL = """
INSERT INTO web_search_document (article_id, document)
SELECT a.id,
       setweight(to_tsvector('english', replace(a.title, '<', ' ')), 'A')
       || setweight(to_tsvector('english', coalesce((
            SELECT replace(string_agg(au.name, ' ' ORDER BY b.position), '<', ' ')
            FROM articles_byline b JOIN articles_author au ON au.id = b.author_id
            WHERE b.article_id = a.id), '')), 'B')
       || setweight(to_tsvector('english', replace(a.text, '<', ' ')), 'C')
FROM articles_article a
ON CONFLICT (article_id) DO NOTHING
"""


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
        schema_editor.execute(SQLITE_FILL)
    elif vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
        schema_editor.execute(PG_FILL)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS web_search")
    elif vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS web_search_document")


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
