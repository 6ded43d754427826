"""Monthly print runs.

The run and its executor, what a worker does, the manifest, the input records, progress,
process lifetime.
"""
