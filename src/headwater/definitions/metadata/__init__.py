"""What is said about data: metadata values, and the runtime type system.

`kind.py` holds `MetadataValue` and its kinds (text, url, table, schema, ...), `value.py`
`normalize_metadata` (raw user dicts to those kinds) and the path every kind is imported by,
`table.py` the table descriptions they carry, `code_reference.py` the code references of an
asset, and `codec.py` the one JSON codec used by events, snapshots and the API. `types.py`
holds `HeadwaterType`, `TypeCheck` and the built-in types, and `annotation.py` the composite
types and the resolution of Python annotations that ins and outs are checked against.

May import: `headwater.errors` and the shared vocabulary at the top of `definitions`
(`key.py`, `tags.py`): a metadata value can name an asset. It is the bottom of
`definitions`: nothing here imports ops, assets or config.
"""
