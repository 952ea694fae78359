"""The only place that teaches moto about a service it does not ship.

moto finds a service in two steps, and we add one entry to each (tested on moto 5.2.x):

1. ``moto.backend_index.backend_url_patterns`` maps a request URL to a service name. Both the
   in-process stub (``mock_aws``) and the server read this list when a request arrives, so
   appending ssm-incidents' URL patterns is enough for them to route it.
2. ``moto.backends.get_backend("ssm-incidents")`` imports ``moto.ssmincidents`` and reads its
   ``ssmincidents_backends``. Aliasing our package under that module name in ``sys.modules``
   makes the import find it, without writing into moto's installed files.

Register before ``mock_aws()`` starts: it snapshots the URL list when it starts patching.
"""

import re
import sys

from moto import backend_index

from . import ssmincidents
from .ssmincidents import urls

SERVICE_NAME = "ssm-incidents"
MODULE_NAME = "moto.ssmincidents"


def register() -> None:
    """Make moto serve ssm-incidents. Safe to call more than once."""
    sys.modules.setdefault(MODULE_NAME, ssmincidents)
    known = {(name, pattern.pattern) for name, pattern in backend_index.backend_url_patterns}
    for base in urls.url_bases:
        if (SERVICE_NAME, base) not in known:
            backend_index.backend_url_patterns.append((SERVICE_NAME, re.compile(base)))
