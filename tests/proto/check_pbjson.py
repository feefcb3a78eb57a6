#!/usr/bin/python3
"""rt_pbjson against protobuf's own proto3 JSON mapping.

Builds messages with the Python protobuf runtime, runs each through
pbjson_dump (rt_pbjson), and compares the result with
google.protobuf.json_format.MessageToDict of the same message: field
names, int64 as strings, enums by name, bytes as base64, defaults left
out, non-finite doubles as strings.

    check_pbjson.py PBJSON_DUMP GEN_PYTHON_DIR
"""
import json
import math
import subprocess
import sys

sys.path.insert(0, sys.argv[2])
from google.protobuf import json_format  # noqa: E402
from rectrack.v1 import resources_pb2 as res  # noqa: E402
from rectrack.v1 import tracker_pb2 as pb  # noqa: E402

DUMP = sys.argv[1]


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return (isinstance(a, (int, float)) and isinstance(b, (int, float))
                and math.isclose(a, b, rel_tol=1e-15))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def check(message):
    name = message.DESCRIPTOR.name
    out = subprocess.run([DUMP, name], input=message.SerializeToString(),
                         capture_output=True, check=True)
    got = json.loads(out.stdout)
    want = json_format.MessageToDict(message)
    if not same(got, want):
        print("MISMATCH for %s\n rt_pbjson: %s\n protobuf:  %s" % (
            name, json.dumps(got, sort_keys=True),
            json.dumps(want, sort_keys=True)))
        return False
    return True


rec = res.Recommendation(
    id="R12", source_id="idm-2023-ny", source_ref="4.5 #2",
    title="Migración: datos desglosados", text="Línea 1\nLínea \"2\"",
    theme="data", sdg_targets=["17.18", "10.7"], gcm_objectives=[1, 23],
    addressed_to=["bgd", "phl"], lead_actor_id="bgd", due_date="2027-06-30",
    status=res.STATUS_IN_PROGRESS, revision=2**63 + 5,
    created_ms=-1, updated_ms=1700000000123)
com = res.Commitment(
    id="C3", actor_id="bgd", kind=res.COMMITMENT_KIND_QUANTIFIED_TARGET,
    indicator=res.Indicator(name="cost", unit="per cent", baseline_value=6.0,
                            target_value=3.0,
                            direction=res.DIRECTION_DECREASE),
    latest_value=float("nan"), progress=-0.25,
    trajectory=res.TRAJECTORY_OFF_TRACK, measurement_count=3)
inf = res.Commitment(id="C4", latest_value=float("inf"),
                     progress=float("-inf"))
event = res.ChangeEvent(
    revision=7, kind=res.CHANGE_KIND_FOLLOW_UP_RECORDED, subject_id="R1",
    prev_hash=bytes(range(32)), hash=b"\xff\xfe",
    follow_up=res.FollowUp(subject_id="R1", status=res.STATUS_STALLED,
                           evidence=["https://example.org/a"]))
unknown_enum = res.FollowUp(subject_id="R2")
unknown_enum.status = 99  # a value this schema does not know
page = pb.ListRecommendationsResponse(recommendations=[rec, res.Recommendation(
    id="R13")], next_page_token="abc", total_size=2)
empty = res.Recommendation()

ok = all(check(m) for m in [rec, com, inf, event, unknown_enum, page, empty])
print("ok" if ok else "FAILED")
sys.exit(0 if ok else 1)
