"""headwater.server.assets: the webserver's routes about assets, and the statuses they show.

routes.py (the asset list, one asset, materialize, partitions), catalog.py (the catalog
table: filters, sort, pages), checks.py (asset checks and their executions), events.py (an
asset's event history), automation.py (its automation condition evaluations), status.py
(every asset's status, built once and then updated from the events added since) and
staleness.py (the staleness resolver of the workspace). May import `headwater.server`'s
shared modules (state, wire, workspace, launch) and the engine packages; the rest of
`headwater.server` imports these through app.py, location.py, run.py and backfill.py only.
"""
