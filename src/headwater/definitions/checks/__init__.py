"""Asset checks: data-quality tests that belong to the asset graph.

A check is named by an `AssetCheckKey` (in `definitions/key.py`) and declared by an
`AssetCheckSpec` (`spec.py`). It runs either inside its asset's step (`check_specs=` on
`@asset`/`@multi_asset`) or as its own step, built by `@asset_check` / `@multi_asset_check`
(`decorators.py`) into an `AssetChecksDefinition` (`definition.py`). Its outcome is an
`AssetCheckResult` from user code, recorded as an `AssetCheckEvaluation` (`result.py`).
Built-in factories live beside them, each building one `@multi_asset_check` over the
assets it is given (`target.py` reads that argument; `history.py` reads an asset's recorded
updates through `context.instance` when a check runs): metadata bounds
(`metadata_bounds.py`), column schema changes (`schema_change.py`), freshness checks
(`freshness.py`), the sensor that keeps them evaluated (`freshness_sensor.py`), and the
`FreshnessPolicy` declared on assets, with its checks (`freshness_policy.py`).

May import: the rooms below it (`assets`, `ops`, `config`, `metadata`, `partitions`,
`automation`) and the vocabulary modules (`key`, `tags`, `keywords`, `run_request`). The
assets room never imports this one: an asset holds its check specs without knowing their
class.
"""
