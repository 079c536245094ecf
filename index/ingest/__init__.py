"""SOURCE → clean article text + metadata → the corpus folder.

    sources.py        what a SOURCE is (URL, saved page, PDF, text, feed, folder); one AddResult per article
    fetch.py          httpx within limits: time-out, redirects, size cap, content type
    html.py           web pages, with trafilatura; strict charset decoding
    pdf.py            PDFs, with pypdf; printed lines joined back into paragraphs
    feed.py           RSS/Atom, with feedparser
    text.py           plain text and Markdown (markdown-it-py)
    corpus_writer.py  the text file and its sources.toml entry (tomlkit), each change atomic
    commands.py       `python -m index add | list | remove`
"""

# Nothing is imported here: `python -m index search` should not pay for trafilatura's import.
