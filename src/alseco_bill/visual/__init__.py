"""The visual check.

The gallery against its baselines, the two engines against each other, image diffs and
their report.
"""
