"""Work on finished PDFs.

Archive and tagged options, outlines, joining and cutting pages, subsetting,
rasterising.
"""
