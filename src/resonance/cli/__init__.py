"""The ``resonance`` command line: a thin layer over the same service functions the API uses."""
