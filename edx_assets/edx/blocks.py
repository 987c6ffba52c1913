"""One key per course block, whatever form of its id an event or a table uses.

The same video or problem is named three ways in edX's data:

- `block-v1:edX+DemoX+Demo_Course+type@video+block@<name>` (opaque usage keys, newer structures and events),
- `i4x://edX/DemoX/video/<name>` (old Mongo-modulestore locations, old structures and problem events),
- `i4x-edX-DemoX-video-<name>` (the HTML-encoded id old video players sent, edx-analytics-pipeline's
  `encoded_module_id`), and a bare `<name>` (what newer video players send).

Every table that matches a block of the events to a block of the course structure matches on `key(id)`,
the block's own name (`<name>`), the one part all forms share. edx2bigquery does the same for videos
(make_video_analysis.py, `createVideoStats_day`: `-` read as `/`, `i4x/` dropped, the last path part kept;
`createVideoAxis`: the last part of the structure's module id); edx-analytics-pipeline's video.py keeps the
raw id, so there each form counts as a separate video: that is the defect this module avoids.
Within one course a block name is unique, so the key identifies the block in its course.
"""

from __future__ import annotations

import re

import polars as pl

# `i4x-<org>-<course>-<category>-<name>`: the name is what follows the fourth dash (edx2bigquery's okre5a
# reads the same; a name may itself hold dashes).
_ENCODED = re.compile(r"^i4x-[^-]*-[^-]*-[^-]*-(.+)$")
_LAST = re.compile(r"([^/@]*)$")


def key(block_id: object) -> str | None:
    """The block's name in any id form (see the module docstring); None for no id."""
    if block_id is None:
        return None
    text = str(block_id).strip()
    if not text:
        return None
    encoded = _ENCODED.match(text)
    if encoded:
        return encoded.group(1)
    return _LAST.search(text).group(1) or text


def key_expr(ids: pl.Expr) -> pl.Expr:
    """`key` as a polars expression over a column of ids (the same rule; tests hold the two equal)."""
    text = ids.cast(pl.String).str.strip_chars()
    encoded = text.str.extract(_ENCODED.pattern, 1)
    last = text.str.extract(_LAST.pattern, 1)
    return (pl.when(text == "").then(None)
            .when(encoded.is_not_null()).then(encoded)
            .when(last != "").then(last)
            .otherwise(text))
