"""The WSGI app gunicorn serves in scenarios 3 and 6: the product's app on
``QUANHUI_BENCH_DATABASE_URL``, plus the list page's reference endpoint
(:func:`bench.app.with_list_reference`), whose URL is written to ``QUANHUI_BENCH_REFERENCE_FILE``."""
from __future__ import annotations

import os
from pathlib import Path

from .app import make_app, signed_in, with_list_reference

app = make_app(os.environ["QUANHUI_BENCH_DATABASE_URL"])
Path(os.environ["QUANHUI_BENCH_REFERENCE_FILE"]).write_text(with_list_reference(app, signed_in(app)))
app.extensions["quanhui.db"].engine.dispose()  # the workers open their own connections
