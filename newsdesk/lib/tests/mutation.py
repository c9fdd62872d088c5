"""A Hypothesis strategy for fuzzing parsers: real samples, a few random edits each."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st


@st.composite
def mutated(
    draw: st.DrawFn,
    samples: Sequence[bytes],
    snippets: Sequence[bytes],
    *,
    edits: int = 6,
    span: int = 40,
    replacement: int = 20,
    repeats: int = 50,
) -> bytes:
    """One of ``samples`` with 1 to ``edits`` edits: a slice of up to ``span`` bytes
    replaced by random bytes, one of ``snippets`` inserted (the tokens a parser of that
    format trips on), a slice dropped, the rest cut off, or a slice repeated."""
    data = bytearray(draw(st.sampled_from(list(samples))))
    for _ in range(draw(st.integers(1, edits))):
        if not data:
            break
        start = draw(st.integers(0, len(data) - 1))
        end = draw(st.integers(start, min(len(data), start + span)))
        action = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "repeat"]))
        if action == "replace":
            data[start:end] = draw(st.binary(max_size=replacement))
        elif action == "insert":
            data[start:start] = draw(st.sampled_from(list(snippets)))
        elif action == "delete":
            del data[start:end]
        elif action == "truncate":
            del data[start:]
        else:
            data[end:end] = data[start:end] * draw(st.integers(1, repeats))
    return bytes(data)
