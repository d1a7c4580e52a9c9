"""Which shards are read, from where, and the checkpoint file: pure rules, no emulator."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ol_om_kinesis.checkpoints import CheckpointError, FileCheckpoints, MemoryCheckpoints
from ol_om_kinesis.shards import SHARD_END, Shard, first_checkpoints, readable

# A stream split once (0 -> 1, 2), then 1 and 2 merged (-> 3); 4 was never touched.
PARENT, LEFT, RIGHT, MERGED, OTHER = (Shard("0", (), True), Shard("1", ("0",), True), Shard("2", ("0",), True),
                                      Shard("3", ("1", "2")), Shard("4"))
STREAM = [PARENT, LEFT, RIGHT, MERGED, OTHER]


NOW = 1_790_000_000.5
AT_NOW = f"AT_TIMESTAMP:{NOW}"


@pytest.mark.parametrize(("position", "expected"), [
    ("TRIM_HORIZON", dict.fromkeys("01234", "TRIM_HORIZON")),
    ("AT_TIMESTAMP", dict.fromkeys("01234", AT_NOW)),
    # Closed shards took their last record before the first start: nothing after "now" is in them. Open ones
    # start at "now", kept as a time: a restart before the first acknowledged record still starts there.
    ("LATEST", {"0": SHARD_END, "1": SHARD_END, "2": SHARD_END, "3": AT_NOW, "4": AT_NOW}),
])
def test_the_first_start_begins_every_shard_where_consumer_offsets_says(position, expected):
    assert first_checkpoints(STREAM, {}, position, NOW) == expected


def test_a_shard_born_while_reading_starts_at_its_first_record_whatever_the_position():
    known = {"0": "123", "4": "LATEST"}
    # 3 descends from 0 through 1 and 2, all born while this worker was away: all read from their start.
    assert first_checkpoints(STREAM, known, "LATEST", NOW) == {"1": "TRIM_HORIZON", "2": "TRIM_HORIZON",
                                                               "3": "TRIM_HORIZON"}
    assert first_checkpoints([*STREAM, Shard("5", ("3",))], {**known, "1": "9", "2": "9", "3": "9"},
                             "LATEST", NOW) == {"5": "TRIM_HORIZON"}


def test_grandchildren_born_while_down_start_at_their_first_record():
    shards = [Shard("P", (), True), Shard("C1", ("P",), True), Shard("C2", ("P",)),
              Shard("G1", ("C1",)), Shard("G2", ("C1",))]
    new = first_checkpoints(list(reversed(shards)), {"P": "123"}, "AT_TIMESTAMP", NOW)
    assert new == {"C1": "TRIM_HORIZON", "C2": "TRIM_HORIZON", "G1": "TRIM_HORIZON", "G2": "TRIM_HORIZON"}


def test_children_wait_for_every_parent_to_finish():
    checkpoints = {"0": "5", "1": "TRIM_HORIZON", "2": "TRIM_HORIZON", "3": "TRIM_HORIZON", "4": "7"}
    assert [s.id for s in readable(STREAM, checkpoints)] == ["0", "4"]
    checkpoints["0"] = SHARD_END
    assert [s.id for s in readable(STREAM, checkpoints)] == ["1", "2", "4"]
    checkpoints["1"] = SHARD_END
    assert [s.id for s in readable(STREAM, checkpoints)] == ["2", "4"]  # a merge waits for both parents
    checkpoints["2"] = SHARD_END
    assert [s.id for s in readable(STREAM, checkpoints)] == ["3", "4"]


def test_a_parent_past_the_retention_period_does_not_hold_its_children():
    assert [s.id for s in readable([LEFT, RIGHT], {"1": "TRIM_HORIZON", "2": "9"})] == ["1", "2"]


@given(st.lists(st.sampled_from(STREAM), unique=True), st.sampled_from(["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"]))
def test_no_shard_is_read_before_a_listed_parent_is_finished(shards, position):
    checkpoints = first_checkpoints(shards, {}, position, NOW)
    listed = {s.id for s in shards}
    for shard in readable(shards, checkpoints):
        assert all(checkpoints[p] == SHARD_END for p in shard.parents if p in listed)


def test_the_shard_of_a_list_shards_answer():
    answer = {"ShardId": "shardId-000000000003", "ParentShardId": "shardId-000000000001",
              "AdjacentParentShardId": "shardId-000000000002",
              "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "1"},
              "SequenceNumberRange": {"StartingSequenceNumber": "1", "EndingSequenceNumber": "9"}}
    assert Shard.from_api(answer) == Shard("shardId-000000000003", ("shardId-000000000001",
                                                                    "shardId-000000000002"), True)


def test_memory_checkpoints_forget_finished_shards_the_stream_no_longer_lists():
    store = MemoryCheckpoints({"old": SHARD_END, "0": "5"})
    assert store.sync([Shard("0")], "TRIM_HORIZON", NOW) == {"0": "5"}
    assert store.checkpoints == {"0": "5"}


def test_the_checkpoint_file_is_replaced_whole_and_read_back(tmp_path):
    path = tmp_path / "cp.json"
    store = FileCheckpoints(path, "events")
    assert store.sync([Shard("0"), Shard("1")], "TRIM_HORIZON", NOW) == {"0": "TRIM_HORIZON",
                                                                         "1": "TRIM_HORIZON"}
    store.save({"0": "42"})
    store.close()
    assert json.loads(path.read_text()) == {"stream": "events", "shards": {"0": "42", "1": "TRIM_HORIZON"}}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    again = FileCheckpoints(path, "events")
    assert again.sync([Shard("0"), Shard("1")], "LATEST", NOW) == {"0": "42", "1": "TRIM_HORIZON"}
    again.close()


def test_a_checkpoint_file_of_another_stream_or_not_ours_is_refused(tmp_path):
    path = tmp_path / "cp.json"
    path.write_text(json.dumps({"stream": "other", "shards": {}}))
    with pytest.raises(CheckpointError, match="holds the checkpoints of stream 'other', not 'events'"):
        FileCheckpoints(path, "events")
    path.write_text("{not json")
    with pytest.raises(CheckpointError, match="cannot read the checkpoint file"):
        FileCheckpoints(path, "events")
