"""The executed run notebooks stay published but out of the site's search.

Hundreds of run pages (``book/runs/**``), one template each, would bury the chapters in every
search result. Every document under :data:`RUNS` gets the file-wide metadata ``nosearch``, with
which Sphinx indexes none of its words. Sphinx still lists such a page, with an empty title, in
``searchindex.js``; the index is pruned of every ``nosearch`` page just before it is written, so
it names none of them.
"""

from __future__ import annotations

RUNS = "book/runs/"


def _mark(app, env) -> None:
    for docname in env.found_docs:
        if docname.startswith(RUNS):
            env.metadata.setdefault(docname, {})["nosearch"] = True


def _prune(app):
    indexer = getattr(app.builder, "indexer", None)
    if indexer is not None:
        metadata = app.env.metadata
        indexer.prune([doc for doc in app.env.all_docs if "nosearch" not in metadata.get(doc, {})])
    return []


def setup(app):
    app.connect("env-updated", _mark)
    app.connect("html-collect-pages", _prune)     # runs before the index is written
    return {"parallel_read_safe": True, "parallel_write_safe": True}
