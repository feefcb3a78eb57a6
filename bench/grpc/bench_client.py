"""Helper of bench/run-grpc-bench.sh, run with /usr/bin/python3 and
PYTHONPATH pointing at the generated stubs (build/gen/python).

  load ADDR N            creates a source, an actor and N recommendations
  bodies DIR             writes the h2load request bodies (5-byte gRPC
                         prefix + serialized request) for each scenario
  check-get ADDR         checks GetRecommendation answers correctly
  follow-ups ADDR        prints the number of follow-ups on the server
  latency LOG            prints "p50_ms p99_ms ok_count" from an h2load
                         --log-file (tab-separated: start us, status, us)

h2load only counts HTTP statuses, and a failed gRPC call is an HTTP 200
with a non-zero grpc-status trailer, so correctness is checked here with
the stock grpcio client instead.
"""

import os
import struct
import sys

import grpc

from rectrack.v1 import resources_pb2 as res
from rectrack.v1 import tracker_pb2 as pb
from rectrack.v1 import tracker_pb2_grpc as pb_grpc

SOURCE_ID = "bench-source"
ACTOR_ID = "bench-actor"
TITLE = "Benchmark recommendation %d"


def stub_for(address):
    return pb_grpc.TrackerStub(grpc.insecure_channel(address))


def load(address, count):
    stub = stub_for(address)
    stub.CreateSource(pb.CreateSourceRequest(source=res.Source(
        id=SOURCE_ID, title="Benchmark dialogue",
        kind=res.SOURCE_KIND_DIALOGUE, date="2024-01-01"),
        request_id="bench-source"))
    stub.CreateActor(pb.CreateActorRequest(actor=res.Actor(
        id=ACTOR_ID, name="Benchmark actor",
        kind=res.ACTOR_KIND_MEMBER_STATE, country="BGD"),
        request_id="bench-actor"))
    pending = [stub.CreateRecommendation.future(pb.CreateRecommendationRequest(
        recommendation=res.Recommendation(
            source_id=SOURCE_ID, title=TITLE % i,
            text="Reduce the cost of sending remittances. " * 8,
            theme="remittances", sdg_targets=["10.c", "17.18"],
            gcm_objectives=[20], addressed_to=[ACTOR_ID],
            lead_actor_id=ACTOR_ID, due_date="2030-12-31"),
        request_id="bench-rec-%d" % i)) for i in range(count)]
    ids = [f.result().id for f in pending]
    print("loaded %d recommendations (%s..%s)" % (len(ids), ids[0], ids[-1]))


def grpc_body(message):
    payload = message.SerializeToString()
    return struct.pack(">BI", 0, len(payload)) + payload


def bodies(directory):
    os.makedirs(directory, exist_ok=True)
    scenarios = {
        "get_recommendation.bin": pb.GetRecommendationRequest(id="R1"),
        "record_follow_up.bin": pb.RecordFollowUpRequest(
            follow_up=res.FollowUp(subject_id="R2", status=res.STATUS_IN_PROGRESS,
                                   note="Benchmark report",
                                   reported_by=ACTOR_ID, as_of="2024-06-30")),
    }
    for name, message in scenarios.items():
        with open(os.path.join(directory, name), "wb") as out:
            out.write(grpc_body(message))


def check_get(address):
    stub = stub_for(address)
    for i in (1, 2, 500):
        rec = stub.GetRecommendation(pb.GetRecommendationRequest(id="R%d" % i))
        if rec.id != "R%d" % i or rec.title != TITLE % (i - 1):
            sys.exit("wrong GetRecommendation reply for R%d: %s" % (i, rec))
    print("GetRecommendation replies check out")


def follow_ups(address):
    info = stub_for(address).GetServerInfo(pb.GetServerInfoRequest())
    print(info.follow_up_count)


def latency(path):
    times = []
    ok = 0
    with open(path) as log:
        for line in log:
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            if parts[1] == "200":
                ok += 1
            times.append(int(parts[2]))
    times.sort()
    if not times:
        print("0 0 0")
        return

    def pick(q):
        return times[min(len(times) - 1, int(q * len(times)))] / 1000.0

    print("%.2f %.2f %d" % (pick(0.50), pick(0.99), ok))


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "load":
        load(args[0], int(args[1]))
    elif command == "bodies":
        bodies(args[0])
    elif command == "check-get":
        check_get(args[0])
    elif command == "follow-ups":
        follow_ups(args[0])
    elif command == "latency":
        latency(args[0])
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
