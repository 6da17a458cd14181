"""Routers of the REST API: generic CRUD per registry concept, and the meta endpoints."""
