"""Bulk files: import CSV / XLSX / YAML into the registry (all rows or none) and export the action's lists.

``readers`` turns a file into numbered rows, ``headers`` maps column headings to schema fields
(``data/headers.yaml``), ``importer`` validates every row through ``registry.services.create``, and
``exporter`` writes the five lists of ``data/lists.yaml`` as XLSX or CSV.
"""
