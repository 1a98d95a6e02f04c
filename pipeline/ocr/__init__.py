"""Scanned notes → the same transcript record as speech.

Pages come from ``pages`` (images, TIFF pages, PDF pages: a text layer is used as it is,
a scanned page is rendered); each scanned page is turned upright and straight and read by
``reader`` (RapidOCR), ink it could not read is found by ``regions``, and ``layout`` puts
it all in reading order. One segment per line; a word carries its page and its box on the
page instead of a time span. Regions that were not read become placeholder words in a
flagged segment, so the letter shows where to look on the scan.
"""

UNREAD = "[not read: see the scan]"  # stands in the text for a region OCR could not read
