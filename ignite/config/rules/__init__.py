"""Ignition 3.x semantic rules, one module per part of the config (see config/validate.py)."""
