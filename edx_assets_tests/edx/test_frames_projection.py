"""frames.read projects a struct, or a list of structs, field by field (real mongod): MongoDB sends only the
fields the schema names, and the values that come back are the stored ones."""

import pyarrow as pa

from edx_assets.edx.reports import frames

DETAIL = pa.list_(pa.struct([("problem", pa.string()), ("first_correct", pa.bool_())]))
SCHEMA = {"user_id": frames.INT, "answer_detail": DETAIL}


def test_a_narrowed_detail_column_is_sent_with_its_fields_only_and_read_with_their_stored_values(db):
    db["totals"].insert_many([
        {"user_id": 1, "answer_detail": [{"problem": "p1", "part": "p1_2_1", "first_value": "x" * 1000,
                                          "first_correct": True},
                                         {"problem": "p2", "first_value": "y", "first_correct": False}]},
        {"user_id": 2, "answer_detail": []},
        {"user_id": 3},
    ])
    assert frames.projection(SCHEMA) == {"user_id": 1, "answer_detail.problem": 1,
                                         "answer_detail.first_correct": 1, "_id": 0}
    # What the server sends for that projection: the named fields of each entry, not the answer's text.
    sent = list(db["totals"].find({}, frames.projection(SCHEMA)).sort("user_id", 1))
    assert sent == [{"user_id": 1, "answer_detail": [{"problem": "p1", "first_correct": True},
                                                     {"problem": "p2", "first_correct": False}]},
                    {"user_id": 2, "answer_detail": []}, {"user_id": 3}]

    frame = frames.read(db, "totals", SCHEMA).sort("user_id")
    assert frame["answer_detail"].to_list() == [
        [{"problem": "p1", "first_correct": True}, {"problem": "p2", "first_correct": False}], [], None]


def test_a_struct_is_projected_by_its_fields_and_a_list_of_values_or_the_id_by_name():
    assert frames.projection({"_id": frames.INT, "modal": pa.struct([("country_code", pa.string())]),
                              "videos": frames.TEXT_LIST}) == {"_id": 1, "modal.country_code": 1, "videos": 1}
