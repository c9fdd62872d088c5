from __future__ import annotations

import json
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/api/articles": {"get"},
    "/api/articles/{article_id}": {"get"},
    "/api/topics": {"get"},
    "/api/topics/{slug}": {"get"},
    "/api/topics/{slug}/articles": {"get"},
    "/api/authors": {"get"},
    "/api/authors/{author_id}": {"get"},
    "/api/authors/{author_id}/articles": {"get"},
    "/api/outlets": {"get"},
    "/api/outlets/{slug}": {"get"},
    "/api/search": {"get"},
    "/api/me": {"get", "patch"},
    "/api/me/follows": {"get", "post"},
    "/api/me/follows/{slug}": {"delete"},
}


def test_it_serves_an_openapi_document_listing_every_path(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Newsdesk API"
    assert {path: set(ops) for path, ops in document["paths"].items()} == EXPECTED_PATHS
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], (method, path)
            assert operation.get("summary"), (method, path)


def test_it_documents_the_author_lists_filters_order_and_what_it_leaves_out(
    client: Client,
) -> None:
    operation = client.get("/api/openapi.json").json()["paths"]["/api/authors"]["get"]
    assert operation["tags"] == ["authors"]
    assert set(operation["responses"]) == {"200", "400", "422", "429"}
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"q", "outlet", "sort", "limit", "offset"}
    assert parameters["sort"]["schema"]["enum"] == ["name", "recent", "articles"]
    assert parameters["sort"]["schema"]["default"] == "name"
    assert {"maxLength": 100, "type": "string"} in parameters["q"]["schema"]["anyOf"]
    assert parameters["limit"]["schema"]["maximum"] == 100
    # Which authors are listed, and how copies count, is said where a client reads it.
    assert "duplicate_of" in operation["description"]
    assert "at least one original article" in operation["description"]


def test_it_marks_the_readers_endpoints_as_needing_a_bearer_token(client: Client) -> None:
    document = client.get("/api/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert {s["scheme"] for s in schemes.values()} == {"bearer"}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert bool(operation.get("security")) == path.startswith("/api/me"), path


def test_it_serves_the_docs_page_without_a_cdn(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(url.startswith("/api/docs/assets/") for url in sources)
    # No inline script: the settings are a JSON data block the site's CSP allows.
    assert '<script id="swagger-settings" type="application/json">' in page
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "script-src 'self';" in policy
    assert "img-src 'self' https: data:" in policy
    for url in sources:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.getvalue()


def test_it_serves_only_the_docs_assets(client: Client) -> None:
    assert client.get("/api/docs/assets/redoc.standalone.js.map").status_code == 404
    assert client.get("/api/docs/assets/..%2F..%2F__init__.py").status_code == 404
    assert client.get("/api/docs/assets/swagger-ui-bundle.js")["Content-Type"] in {
        "text/javascript",
        "application/javascript",
    }
