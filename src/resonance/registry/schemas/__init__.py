"""Typed boundary objects (pydantic) for every registry concept: what the API, CLI and importers accept.

References to other rows are given by code (or zh name for industries and entities), never by raw
foreign-key ids, so that files and requests read like the lists people keep.
"""
