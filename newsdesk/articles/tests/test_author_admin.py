import pytest
from django.contrib.auth.models import User
from django.test import Client

from newsdesk.web.tests.factories import make_article, make_author

pytestmark = pytest.mark.django_db


def test_it_lists_authors_with_their_article_counts_for_editors(
    client: Client, django_assert_max_num_queries: object
) -> None:
    ines = make_author("Ines Dorrance")
    for n in range(3):
        make_article(f"Story {n}", authors=[ines])
    make_author("Jonas Arkwright")
    client.force_login(User.objects.create_superuser("editor", "e@example.org", "pw"))
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        page = client.get("/admin/articles/author/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ines Dorrance" in text and "Jonas Arkwright" in text
    assert '<td class="field-article_count">3</td>' in text
