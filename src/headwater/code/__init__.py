"""Loading user code: Definitions from a file (-f) or a module (-m).

Sits above `definitions` and `execution`; never imported by them.
"""
