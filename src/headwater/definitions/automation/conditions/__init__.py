"""Declarative automation: conditions on assets and checks, their evaluator, and the sensor
that evaluates them (`sensor.py`).

May import what its parent room `automation` may.
"""
