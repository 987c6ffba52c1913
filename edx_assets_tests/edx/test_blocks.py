"""One block key for every form of a block id (the matching every table that joins events to the
structure relies on); the polars expression and the Python function give the same key."""

import polars as pl
import pytest

from edx_assets.edx import blocks

CASES = [
    ("block-v1:edX+DemoX+Demo_Course+type@video+block@0b9e39477cf34507a7a48f74be381fdd",
     "0b9e39477cf34507a7a48f74be381fdd"),
    ("i4x://edX/DemoX/video/0b9e39477cf34507a7a48f74be381fdd", "0b9e39477cf34507a7a48f74be381fdd"),
    ("i4x-edX-DemoX-video-3cb54a11efae4ccc8a0aade24d14b255", "3cb54a11efae4ccc8a0aade24d14b255"),
    ("i4x-MITx-6_002x-problem-Week_1-Homework", "Week_1-Homework"),  # a name holding dashes keeps them
    ("3cb54a11efae4ccc8a0aade24d14b255", "3cb54a11efae4ccc8a0aade24d14b255"),
    ("\n0b9e39477cf34507a7a48f74be381fdd ", "0b9e39477cf34507a7a48f74be381fdd"),  # the pipeline saw newlines
    ("i4x://edX/E929/problem/466bffd122ce457ea3ae34a46f0130fa", "466bffd122ce457ea3ae34a46f0130fa"),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("block_id", "expected"), CASES)
def test_every_id_form_gives_the_blocks_own_name(block_id, expected):
    assert blocks.key(block_id) == expected


def test_the_expression_and_the_function_agree():
    frame = pl.DataFrame({"id": [c[0] for c in CASES]}, schema={"id": pl.String})
    got = frame.select(blocks.key_expr(pl.col("id")).alias("key")).get_column("key").to_list()
    assert got == [blocks.key(c[0]) for c in CASES] == [c[1] for c in CASES]
