"""Filling the templates.

The Jinja environment (sandboxed), Babel's formatting as filters, the payment codes.
"""
