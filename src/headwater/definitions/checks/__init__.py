"""Asset checks: data-quality tests that belong to the asset graph.

A check is named by an `AssetCheckKey` (in `definitions/key.py`) and declared by an
`AssetCheckSpec` (`spec.py`). It runs either inside its asset's step (`check_specs=` on
`@asset`/`@multi_asset`) or as its own step, built by `@asset_check` / `@multi_asset_check`
(`decorators.py`) into an `AssetChecksDefinition` (`definition.py`). Its outcome is an
`AssetCheckResult` from user code, recorded as an `AssetCheckEvaluation` (`result.py`).
Built-in factories live beside them: metadata bounds, column schema changes, freshness
(`freshness.py`, with the `FreshnessPolicy` of `freshness_policy.py`).

May import: the rooms below it (`assets`, `ops`, `config`, `metadata`, `partitions`,
`automation`) and the vocabulary modules (`key`, `tags`, `keywords`, `run_request`). The
assets room never imports this one: an asset holds its check specs without knowing their
class.
"""
