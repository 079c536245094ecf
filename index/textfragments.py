"""Links that open the original article scrolled to, and highlighting, the quoted sentence.

They use URL Fragment Text Directives (https://wicg.github.io/scroll-to-text-fragment/):
``url#:~:text=start`` or, for a long sentence, ``url#:~:text=start,end`` with a
few words from each end, which survives small differences in the middle of a
sentence between our copy and the live page. Browsers without support simply
open the page.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["text_fragment_url", "encode_directive_text"]

# Up to this many words (and characters) the whole sentence is the directive;
# beyond it, this many words from each end.
_WHOLE_WORDS, _WHOLE_CHARS, _EDGE_WORDS = 8, 80, 4


def encode_directive_text(text: str) -> str:
    """Percent-encode one directive term.

    The spec reserves ``-``, ``,`` and ``&`` inside a term and requires the rest
    to be valid in a URL fragment; keeping only letters, digits and ``._~``
    literal satisfies both (encoding more than required is always allowed).
    """
    return quote(text, safe="").replace("-", "%2D")


def text_fragment_url(url: str, sentence: str) -> str:
    """``url`` with a text directive for ``sentence``; ``url`` unchanged if there is nothing to point at."""
    words = sentence.split()  # the browser matches rendered text, where white space runs are one space
    if not url or not words:
        return url
    base, _, fragment = url.partition("#")
    fragment = fragment.split(":~:", 1)[0]  # replace, never stack, an existing directive
    whole = " ".join(words)
    if len(words) <= _WHOLE_WORDS and len(whole) <= _WHOLE_CHARS or len(words) < 2:
        directive = encode_directive_text(whole)
    else:
        edge = min(_EDGE_WORDS, len(words) // 2)
        start, end = " ".join(words[:edge]), " ".join(words[-edge:])
        directive = f"{encode_directive_text(start)},{encode_directive_text(end)}"
    return f"{base}#{fragment}:~:text={directive}"
