"""Commands workshop accepts: the request bodies of its command routes (shared.kit.CommandBody).

Ids named by the path are fields typed `SkipJsonSchema[str] = ""`, set by the route with `body.bind(...)`.
"""

from __future__ import annotations
