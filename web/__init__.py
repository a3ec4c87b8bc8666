"""The search page: static files served by the API at / and /static/."""

import mimetypes
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"

# The page is ES modules, which browsers run only when served with a JavaScript type. StaticFiles
# takes types from the system's table, which on some systems (the Windows registry, old
# /etc/mime.types) maps .js to text/plain or nothing.
mimetypes.add_type("text/javascript", ".js")
