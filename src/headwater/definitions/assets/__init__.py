"""Assets: the nouns of a data platform and how to pick some of them.

An asset is declared by a decorator (`decorators.py`; the graph-backed ones in
`graph_decorators.py`) that inspects the function once and builds one `AssetsDefinition`
(`definition.py`, with `AssetSpec`; `rules.py` checks their attributes, `inout.py` holds
`AssetIn` and `AssetOut`, `resources.py` `with_resources`, `spec_mapping.py`
`map_asset_specs`); `key.py` names assets, `graph.py` turns a
set of definitions into the immutable dependency graph that everything else queries,
`selection.py` resolves `AssetSelection` objects against that graph (`graph_view.py`) and
parses the string syntax with `selection_syntax.py`, and `job.py` turns a selection into a
job (`define_asset_job`). A chain of parents and children is a graph of plain
dicts of keys, so that 10,000 assets cost milliseconds.

May import: `headwater.errors` and the sibling subpackages `ops`, `config`, `metadata`,
`partitions` (an asset runs as an op). Never `automation` (a schedule targets assets, not the
reverse) and never a layer above `definitions`.
"""
