"""The HTTP API and the search page (FastAPI).

``app.py`` wires the app; ``routes/`` holds one router per concern; ``service.py``
the index, the model and the one writer; ``schemas.py`` the response bodies;
``errors.py`` the error body; ``deps.py`` what endpoints receive by injection.
"""

from search_api.api.app import create_app, serve
from search_api.api.errors import ApiError
from search_api.api.service import IndexService

__all__ = ["ApiError", "IndexService", "create_app", "serve"]
