/*
 * The search filters offered as facets: the API's name (of the filter and of its
 * facet counts, and the key in the search's state), the route's parameter, the label.
 * The order is that of the filter panel and of the parameters in a route.
 */

export const FACETS = [
  { key: "doc_type", param: "loai", label: "Loại văn bản" },
  { key: "issuer", param: "co-quan", label: "Cơ quan ban hành" },
  { key: "year", param: "nam", label: "Năm ban hành" },
];
