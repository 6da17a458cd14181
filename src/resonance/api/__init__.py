"""The REST API: FastAPI app, one router per concept, bearer-token auth and JSON error handlers."""
