"""Facet counts from the in-memory table (search_api.facets); the API's facets are tested
end to end in test_api.py and, for what a reader may see, in test_access.py."""

from __future__ import annotations

from search_api.facets import FacetTable, facet_counts

ROWS = {
    # passage id: (issuer, doc_type, year, kind) -- a fictional district's documents
    7: ("UBND huyện Hòa Bình", "Thông báo", "2024", "task"),
    3: ("UBND huyện Hòa Bình", "Kế hoạch", "2023", "shortcoming"),
    12: ("Huyện ủy Hòa Bình", "Thông báo", "2024", None),
    5: ("UBND huyện Hòa Bình", "Thông báo", "2024", "task"),
    40: (None, None, None, None),
}


class _Store:
    def iter_facet_rows(self):
        yield from ROWS.items()


def test_rows_follow_the_ids_given_and_skip_what_the_table_lacks():
    table = FacetTable.load(_Store())  # type: ignore[arg-type]
    assert len(table) == 5
    assert list(table.rows([12, 99, 3, 2**64, -1, 7, 7])) == [ROWS[12], ROWS[3], ROWS[7], ROWS[7]]
    assert list(table.rows([])) == []


def test_counts_are_those_of_the_rows():
    table = FacetTable.load(_Store())  # type: ignore[arg-type]
    ids = [5, 12, 3, 7, 40, 1000]
    counts = table.counts(ids)
    assert counts == facet_counts(ROWS[i] for i in ids if i in ROWS)
    assert counts["issuer"] == [{"value": "UBND huyện Hòa Bình", "count": 3}, {"value": "Huyện ủy Hòa Bình", "count": 1}]
    assert counts["year"] == [{"value": "2024", "count": 3}, {"value": "2023", "count": 1}]
    assert counts["kind"] == [{"value": "task", "count": 2}, {"value": "shortcoming", "count": 1}]
    # equal counts keep the order the candidates came in (best ranked first)
    assert [f["value"] for f in table.counts([3, 12])["doc_type"]] == ["Kế hoạch", "Thông báo"]
    assert [f["value"] for f in table.counts([12, 3])["doc_type"]] == ["Thông báo", "Kế hoạch"]


def test_an_empty_index_counts_nothing():
    class Empty:
        def iter_facet_rows(self):
            return iter(())

    table = FacetTable.load(Empty())  # type: ignore[arg-type]
    assert table.counts([1, 2]) == {"issuer": [], "doc_type": [], "year": [], "kind": []}
