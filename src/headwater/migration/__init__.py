"""Porting a Dagster project to headwater (`headwater migrate`): the case-preserving rename
over a project's text files and names (`rename`), Dagster's distributions in requirements
turned into headwater and its extras (`requirement`), the private imports the rename leaves
and what each becomes (`private_import`), and the walk that plans, applies and reports a
migration (`project`). Imports `errors`, `_exports` and `_compat` only; the CLI command in
`cli/migrate.py` is its one caller.
"""
