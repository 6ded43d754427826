"""The bill and its rules.

The typed model, reading and validating JSON as a clerk would, the font's glyphs,
realistic samples.
"""
