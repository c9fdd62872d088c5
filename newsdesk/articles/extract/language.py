"""Language detection on the extracted text (py3langid), ``<html lang>`` as tie-break."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def warm_up() -> None:
    """Load the language model now (about 0.8 CPU-s once per process), not on the first page.

    Worker processes call this at start so the first article does not pay for it.
    """
    _identifier()


def html_lang(value: str | None) -> str | None:
    """``"en-GB"`` -> ``"en"``; ``None`` when it is not a plausible ISO 639-1 code."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if len(code) == 2 and code.isalpha() else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of *text*.

    The detector decides; the declared ``<html lang>`` only breaks near ties or
    stands in when the text is too short to judge.
    """
    hint = html_lang(declared)
    sample = " ".join(text[:2500].split())[:1500]
    if len(sample) < 40:
        return hint
    ranked: list[tuple[str, float]] = _identifier().rank(sample)
    if not ranked:
        return hint
    best, best_p = ranked[0]
    if hint and hint != best:
        for code, prob in ranked[1:6]:
            if code == hint and prob >= 0.5 * best_p:
                return hint
    if best_p < 0.5 and hint:
        return hint
    return str(best)
