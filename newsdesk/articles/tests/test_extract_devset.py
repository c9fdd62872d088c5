"""Regression tests on the shared extraction dev set (../shared/data/extraction-dev).

Pins what is good today: every fundus-eval page whose body page-F1 was >= 0.9 must stay
there, and every fundus-fixtures title / author set / publication day that matched must keep
matching. Regenerate the pins after a deliberate improvement with::

    .venv/bin/python -m newsdesk.articles.tests.test_extract_devset --update
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import Counter
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from newsdesk.articles.extract import extract

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared" / "data" / "extraction-dev"
PINS = Path(__file__).with_name("test_extract_pins.json")
WORD = re.compile(r"\w+")

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(
        not (DATA / "fundus-eval").is_dir(),
        reason=f"extraction dev set not found at {DATA} (../shared/data is absent)",
    ),
]


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    toks = WORD.findall(text)
    if len(toks) < 4:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(zip(toks, toks[1:], toks[2:], toks[3:], strict=False))


def page_f1(output: str, truth: str) -> float:
    out, ref = _shingles(output), _shingles(truth)
    tp = sum((out & ref).values())
    if not out or not ref or not tp:
        return 0.0
    p, r = tp / sum(out.values()), tp / sum(ref.values())
    return 2 * p * r / (p + r)


@lru_cache(maxsize=1)
def eval_truth() -> dict[str, str]:
    data = json.loads((DATA / "fundus-eval" / "ground-truth.json").read_text("utf-8"))
    return {k: v["articleBody"] for k, v in data.items()}


def eval_f1(page_id: str) -> float:
    raw = gzip.decompress((DATA / "fundus-eval" / "html" / f"{page_id}.html.gz").read_bytes())
    return page_f1(extract(raw).text, eval_truth()[page_id])


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name))


@lru_cache(maxsize=1)
def fixtures() -> dict[str, dict[str, Any]]:
    """Fixture id -> {path, url, label}; label versions pair with pages in date order."""
    root = DATA / "fundus-fixtures"
    out: dict[str, dict[str, Any]] = {}
    for country in sorted(p for p in root.iterdir() if p.is_dir()):
        meta = json.loads((country / "meta.info").read_text("utf-8"))
        for labels_file in sorted(country.glob("*.json")):
            labels = json.loads(labels_file.read_text("utf-8"))
            htmls = sorted(country.glob(f"{labels_file.stem}_*.html.gz"))
            for version, html in zip(sorted(labels, key=_version_key), htmls, strict=False):
                out[f"{country.name}/{html.name.removesuffix('.html.gz')}"] = {
                    "path": html,
                    "url": meta.get(html.name, {}).get("url"),
                    "label": labels[version],
                }
    return out


@lru_cache(maxsize=512)
def fixture_result(fixture_id: str) -> dict[str, bool]:
    item = fixtures()[fixture_id]
    ex = extract(gzip.decompress(item["path"].read_bytes()), item["url"])
    label = item["label"]
    truth_title = " ".join(str(label.get("title") or "").split())
    truth_authors = {" ".join(a.split()) for a in label.get("authors") or []}
    truth_date = label.get("publishing_date")
    same_day = False
    if truth_date and ex.published is not None:
        ref = datetime.fromisoformat(truth_date)
        ours = ex.published.astimezone(ref.tzinfo) if ref.tzinfo else ex.published
        same_day = ours.date() == ref.date()
    return {
        "title": (ex.title or "") == truth_title,
        "authors": set(ex.authors) == truth_authors,
        "date": same_day,
    }


def _pins() -> dict[str, list[str]]:
    if not PINS.is_file():
        return {"body": [], "title": [], "authors": [], "date": []}
    data: dict[str, list[str]] = json.loads(PINS.read_text("utf-8"))
    return data


@pytest.mark.parametrize("page_id", _pins()["body"])
def test_body_stays_good(page_id: str) -> None:
    assert eval_f1(page_id) >= 0.9


@pytest.mark.parametrize("kind", ["title", "authors", "date"])
def test_fixture_metadata_stays_exact(kind: str) -> None:
    broken = [fid for fid in _pins()[kind] if not fixture_result(fid)[kind]]
    assert not broken, f"{kind} no longer matches on: {broken}"


def test_body_f1_overall() -> None:
    """The whole set stays above plain trafilatura's 0.955 reference F1 minus noise."""
    scores = [eval_f1(pid) for pid in eval_truth()]
    assert sum(scores) / len(scores) >= 0.93


def update_pins() -> None:
    pins = {
        "body": sorted(pid for pid in eval_truth() if eval_f1(pid) >= 0.9),
        "title": [],
        "authors": [],
        "date": [],
    }
    for fid in sorted(fixtures()):
        result = fixture_result(fid)
        for kind in ("title", "authors", "date"):
            if result[kind]:
                pins[kind].append(fid)
    PINS.write_text(json.dumps(pins, indent=1) + "\n", "utf-8")
    print({k: len(v) for k, v in pins.items()})


if __name__ == "__main__":
    if "--update" in sys.argv:
        update_pins()
