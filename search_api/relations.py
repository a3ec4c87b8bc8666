"""How documents point at each other, read from the index: a document's outgoing
references (resolved to indexed documents where their number matches), the
references that point at it, and the status those give it (amended, replaced,
repealed, corrected by a later document)."""

from __future__ import annotations

from typing import Any, Collection

from indexer.store import ChunkStore

RELATIONS = ("amends", "replaces", "repeals", "guides", "corrects", "consolidates", "implements", "basis", "cites")
# An incoming reference of these kinds changes what the target says.
STATUS = {"amends": "amended_by", "replaces": "replaced_by", "repeals": "repealed_by", "corrects": "corrected_by"}
# ... and of these, that it no longer applies.
SUPERSEDED = ("replaces", "repeals")


def link_json(ref: dict[str, Any]) -> dict[str, Any]:
    """One link as the CLI's ``relations --json`` and the API write it."""
    return {"source": ref["source"], "source_number": ref["source_number"], "source_date": ref["source_date"],
            "target": ref["target"], "number": ref["number"], "relation": ref["relation"],
            "doc_type": ref["doc_type"], "date": ref["date"], "issuer": ref["issuer"], "text": ref["text"],
            "char_span": ref["char_span"]}


def statuses(
    store: ChunkStore, doc_ids: Collection[str], readable: frozenset[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """For each of ``doc_ids`` that a later indexed document amends, replaces, repeals or
    corrects: what did, newest first -- among the documents ``readable`` (None: all)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for ref in store.references_to(doc_ids):
        if ref["relation"] in STATUS and (readable is None or ref["source"] in readable):
            out.setdefault(ref["target"], []).append({
                "status": STATUS[ref["relation"]], "doc_id": ref["source"], "number": ref["source_number"],
                "issued_date": ref["source_date"],
            })
    for items in out.values():
        items.sort(key=lambda s: s["issued_date"] or "", reverse=True)
        # one entry per document and kind: a document that amends three articles amends once
        seen: set[tuple[str, str]] = set()
        items[:] = [s for s in items if (s["status"], s["doc_id"]) not in seen and not seen.add((s["status"], s["doc_id"]))]
    return out


def document_relations(store: ChunkStore, doc_id: str, readable: frozenset[str] | None = None) -> dict[str, Any]:
    """A document's links both ways, and its status, as a reader of ``readable`` documents
    (None: all) sees them: a link to a document they may not read is unresolved, one from
    such a document is not there."""
    outgoing = [link_json(r) for r in store.references(source=doc_id)]
    if readable is not None:
        for link in outgoing:
            if link["target"] not in readable:
                link["target"] = None
    incoming = [link_json(r) for r in store.references_to([doc_id]) if readable is None or r["source"] in readable]
    return {"doc_id": doc_id, "outgoing": outgoing, "incoming": incoming,
            "status": statuses(store, [doc_id], readable).get(doc_id, [])}
