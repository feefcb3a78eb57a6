#!/usr/bin/python3
"""Writes the seed corpus and dictionaries of the fuzz targets
(tests/fuzz/corpus/*, tests/fuzz/*.dict) from the protobuf definitions.

    gen_corpus.py --gen-dir BUILD/gen/python [--check]

Every method rectrackd routes gets valid calls: Health, both Reflection
versions and the Tracker methods (in the order tracker.proto declares
them), with the secretariat's token, the reader's, an unknown token
and none, and for a few methods the reporter's. The records they name are the ones fuzz_server.c seeds every store
with; the tokens, ids and the method order are read from fuzz_server.h
and the generated descriptors, so this script and the harness cannot
drift apart.

Each file's name ends in the outcome its calls must come to (".OK",
".PERMISSION_DENIED", ".OK+OK" for two calls), which fuzz_replay --expect
checks in every build:

  corpus/request_path/  every byte the client sends: preface, SETTINGS,
                        HEADERS, DATA (fuzz_request_path), plus a few
                        transport cases (compression, CONTINUATION,
                        HPACK indexing, several calls, HTTP errors)
  corpus/grpc_method/   method byte, flags byte, request message
                        (fuzz_grpc_method.c documents the flags)

--check regenerates into a scratch directory and fails if the committed
files differ (the fuzz_corpus_current test).
"""

import argparse
import filecmp
import gzip
import os
import re
import shutil
import struct
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- what fuzz_server.h says -------------------------------------------------


def harness_constants():
    """The FUZZ_* string and number constants of fuzz_server.h."""
    with open(os.path.join(HERE, "fuzz_server.h")) as f:
        text = f.read()
    constants = dict(re.findall(r'#define (FUZZ_\w+) "([^"]*)"', text))
    constants.update((name, int(value)) for name, value in
                     re.findall(r'#define (FUZZ_\w+) (\d+)\b', text))
    return constants


# ---- HTTP/2 as a client writes it (RFC 9113, RFC 7541) ----------------------

MAGIC = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, PING, WINDOW_UPDATE, CONTINUATION = 0, 1, 4, 6, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
CLIENT_WINDOW = 16 << 20


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(
        ">BBI", kind, flags, stream) + payload


def preface():
    """What fuzz_h2_client_preface writes."""
    settings = struct.pack(">HIHI", 0x2, 0, 0x4, CLIENT_WINDOW)
    return (MAGIC + frame(SETTINGS, 0, 0, settings) + frame(SETTINGS, ACK, 0)
            + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", CLIENT_WINDOW)))


def hpack_int(first, prefix_bits, value):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_string(text):
    data = text.encode()
    return hpack_int(0x00, 7, len(data)) + data


def literal(name, value, first=0x00, prefix_bits=4):
    """A literal field with a new name: without indexing (0x00, 4-bit
    prefix) by default, incremental indexing with first=0x40, 6 bits."""
    return (hpack_int(first, prefix_bits, 0) + hpack_string(name)
            + hpack_string(value))


def header_block(fields):
    return b"".join(literal(name, value) for name, value in fields)


def grpc_message(payload, compressed=False):
    return struct.pack(">BI", 1 if compressed else 0, len(payload)) + payload


def call_fields(path, credentials=None, extra=()):
    fields = [(":method", "POST"), (":scheme", "http"), (":path", path),
              (":authority", "fuzz"), ("content-type", "application/grpc"),
              ("te", "trailers")]
    if credentials is not None:
        fields.append(("authorization", credentials))
    return fields + list(extra)


def unary_call(stream, path, message, credentials=None, extra=(),
               compressed=False):
    """HEADERS and one DATA frame with END_STREAM: one call."""
    return (frame(HEADERS, END_HEADERS, stream,
                  header_block(call_fields(path, credentials, extra)))
            + frame(DATA, END_STREAM, stream,
                    grpc_message(message, compressed)))


# ---- the calls ---------------------------------------------------------------

class Api:
    """The generated modules and the valid requests of every method."""

    def __init__(self, gen_dir, constants):
        sys.path.insert(0, gen_dir)
        from rectrack.v1 import resources_pb2, tracker_pb2
        self.res = resources_pb2
        self.pb = tracker_pb2
        self.health = self._load(gen_dir, "grpc/health/v1/health_pb2.py")
        self.reflection = {
            version: self._load(gen_dir, "grpc/reflection/%s/reflection_pb2.py"
                                % version)
            for version in ("v1", "v1alpha")}
        self.k = constants

    @staticmethod
    def _load(gen_dir, relative):
        import importlib.util
        name = relative[:-3].replace("/", "_")
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(gen_dir, relative))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def methods(self):
        """[(path, service module key, method name)] in fuzz_methods.c's
        order: Health, Reflection v1, v1alpha, Tracker."""
        services = [self.health.DESCRIPTOR.services_by_name["Health"],
                    self.reflection["v1"].DESCRIPTOR.services_by_name[
                        "ServerReflection"],
                    self.reflection["v1alpha"].DESCRIPTOR.services_by_name[
                        "ServerReflection"],
                    self.pb.DESCRIPTOR.services_by_name["Tracker"]]
        return [("/%s/%s" % (service.full_name, method.name), service,
                 method.name)
                for service in services for method in service.methods]

    def requests(self, service, name):
        """[(label, request message)]: valid requests of one method."""
        res, pb, k = self.res, self.pb, self.k
        if service.full_name == "grpc.health.v1.Health":
            request = self.health.HealthCheckRequest
            return [("all", request(service="")),
                    ("tracker", request(service="rectrack.v1.Tracker"))]
        if service.full_name.startswith("grpc.reflection."):
            module = self.reflection[service.full_name.split(".")[2]]
            request = module.ServerReflectionRequest
            return [("list", request(list_services="")),
                    ("symbol", request(
                        file_containing_symbol="rectrack.v1.Tracker"))]
        source = res.Source(id="seed-source", title="Seed dialogue",
                            kind=res.SOURCE_KIND_DIALOGUE, date="2025-05-16",
                            location="Geneva")
        actor = res.Actor(id="seed-actor", name="Seedland",
                          kind=res.ACTOR_KIND_MEMBER_STATE, country="MEX")
        rec = res.Recommendation(
            source_id=k["FUZZ_SOURCE_ID"], source_ref="4.6 #1",
            title="Disaggregate migration data", text="Publish data by status.",
            theme="data", sdg_targets=["17.18"], gcm_objectives=[1],
            addressed_to=[k["FUZZ_ACTOR_ID"]], due_date="2028-06-30")
        indicator = res.Indicator(
            name="Share of data disaggregated", unit="per cent",
            baseline_value=10, baseline_date="2020-01-01", target_value=80,
            target_date="2030-01-01", direction=res.DIRECTION_INCREASE)
        com = res.Commitment(
            actor_id=k["FUZZ_ACTOR_ID"],
            recommendation_ids=[k["FUZZ_RECOMMENDATION_ID"]],
            source_id=k["FUZZ_SOURCE_ID"], title="Publish disaggregated data",
            kind=res.COMMITMENT_KIND_QUANTIFIED_TARGET, made_on="2025-05-16",
            indicator=indicator)
        table = {
            "CreateSource": [("", pb.CreateSourceRequest(
                source=source, request_id="seed-create-source"))],
            "GetSource": [("", pb.GetSourceRequest(id=k["FUZZ_SOURCE_ID"]))],
            "ListSources": [("", pb.ListSourcesRequest(
                page_size=10, kind=res.SOURCE_KIND_DIALOGUE))],
            "UpdateSource": [("", pb.UpdateSourceRequest(
                source=res.Source(id=k["FUZZ_SOURCE_ID"],
                                  title="Renamed dialogue"),
                update_mask=["title"]))],
            "CreateActor": [("", pb.CreateActorRequest(
                actor=actor, request_id="seed-create-actor"))],
            "GetActor": [("", pb.GetActorRequest(id=k["FUZZ_ACTOR_ID"]))],
            "ListActors": [("", pb.ListActorsRequest(page_size=10,
                                                     country="BGD"))],
            "UpdateActor": [("", pb.UpdateActorRequest(
                actor=res.Actor(id=k["FUZZ_ACTOR_ID"], name="Renamed"),
                update_mask=["name"]))],
            "CreateRecommendation": [("", pb.CreateRecommendationRequest(
                recommendation=rec, request_id="seed-create-rec"))],
            "GetRecommendation": [("", pb.GetRecommendationRequest(
                id=k["FUZZ_RECOMMENDATION_ID"]))],
            "UpdateRecommendation": [("", pb.UpdateRecommendationRequest(
                recommendation=res.Recommendation(
                    id=k["FUZZ_RECOMMENDATION_ID"], title="Cheaper transfers",
                    sdg_targets=["10.c", "10.7"]),
                update_mask=["title", "sdg_targets"]))],
            "ListRecommendations": [
                ("", pb.ListRecommendationsRequest(page_size=5)),
                ("filtered", pb.ListRecommendationsRequest(
                    statuses=[res.STATUS_IN_PROGRESS],
                    source_id=k["FUZZ_SOURCE_ID"], actor_id=k["FUZZ_ACTOR_ID"],
                    sdg_target="10.c", gcm_objective=20, theme="remittances",
                    query="cost", due_before="2030-01-01",
                    as_of="2026-01-01"))],
            "CreateCommitment": [("", pb.CreateCommitmentRequest(
                commitment=com, request_id="seed-create-com"))],
            "GetCommitment": [("", pb.GetCommitmentRequest(
                id=k["FUZZ_COMMITMENT_ID"]))],
            "UpdateCommitment": [("", pb.UpdateCommitmentRequest(
                commitment=res.Commitment(id=k["FUZZ_COMMITMENT_ID"],
                                          title="Cut costs to 3 per cent"),
                update_mask=["title"]))],
            "ListCommitments": [("", pb.ListCommitmentsRequest(
                page_size=5, actor_id=k["FUZZ_ACTOR_ID"],
                kind=res.COMMITMENT_KIND_QUANTIFIED_TARGET))],
            "RecordMeasurement": [("", pb.RecordMeasurementRequest(
                commitment_id=k["FUZZ_COMMITMENT_ID"],
                measurement=res.Measurement(value=5.2, as_of="2025-12-31",
                                            source="World Bank"),
                request_id="seed-measurement"))],
            "ListMeasurements": [("", pb.ListMeasurementsRequest(
                commitment_id=k["FUZZ_COMMITMENT_ID"], page_size=10))],
            "RecordFollowUp": [("", pb.RecordFollowUpRequest(
                follow_up=res.FollowUp(
                    subject_id=k["FUZZ_RECOMMENDATION_ID"],
                    status=res.STATUS_PARTIALLY_IMPLEMENTED,
                    note="Two corridors done.", evidence=["https://e.org/r"],
                    reported_by=k["FUZZ_ACTOR_ID"], as_of="2025-12-31"),
                request_id="seed-follow-up"))],
            "ListFollowUps": [
                ("", pb.ListFollowUpsRequest(
                    subject_id=k["FUZZ_RECOMMENDATION_ID"])),
                ("period", pb.ListFollowUpsRequest(from_date="2025-01-01",
                                                   to_date="2025-12-31"))],
            "GetReviewSummary": [("", pb.GetReviewSummaryRequest(
                from_date="2025-01-01", to_date="2025-12-31"))],
            "ExportReview": [
                (fmt.lower(), pb.ExportReviewRequest(
                    from_date="2025-01-01", to_date="2025-12-31",
                    format=getattr(pb, "EXPORT_FORMAT_" + fmt)))
                for fmt in ("HTML", "MARKDOWN", "CSV", "JSON", "XLSX")],
            "ValidateSubmission": [("", pb.ValidateSubmissionRequest(
                subject_id=k["FUZZ_RECOMMENDATION_ID"],
                revision=k["FUZZ_SUBMISSION_REVISION"],
                decision=res.REVIEW_STATE_VALIDATED, note="Checked.",
                request_id="seed-validate"))],
            "WatchChanges": [("", pb.WatchChangesRequest(from_revision=1))],
            "GetServerInfo": [("", pb.GetServerInfoRequest())],
            "Backup": [("", pb.BackupRequest(dir="/nonexistent/backup"))],
            "CreateTheme": [("", pb.CreateThemeRequest(
                theme=res.Theme(id="seed-theme", title="Seed theme",
                                source_ref="GFMD 2024"),
                request_id="seed-create-theme"))],
            "CreateDimensionKey": [("", pb.CreateDimensionKeyRequest(
                dimension_key=res.DimensionKey(
                    key="seed_residence", title="Urban or rural",
                    value_rule="list", values=["urban", "rural"],
                    source_ref="SDG 17.18"),
                request_id="seed-create-dimension-key"))],
            "ListReference": [("", pb.ListReferenceRequest())],
        }
        if name not in table:
            raise SystemExit("gen_corpus.py: no valid request for %s: add one"
                             % name)
        return table[name]


# The roles, in order (fuzz_methods.h), and the role each method needs.
ROLES = ("reader", "reporter", "secretariat", "admin")


def role_needed(name):
    if name == "Backup":
        return "admin"
    if re.match("Create|Update|ValidateSubmission", name):
        return "secretariat"
    if name.startswith("Record"):
        return "reporter"
    return "reader"


def expected(path, name, credentials):
    """The outcome of one call with credentials (one of CREDENTIALS) with
    tokens configured."""
    if path.startswith("/grpc.health.v1.Health/Watch"):
        return "OPEN"  # ends only with the server: the shutdown cuts it
    if not path.startswith("/rectrack.v1.Tracker/"):
        return "OK"
    if credentials in ("unknown", "none"):
        return "UNAUTHENTICATED"
    if ROLES.index(credentials) < ROLES.index(role_needed(name)):
        return "PERMISSION_DENIED"
    if name == "WatchChanges":
        return "UNAVAILABLE"  # the backlog, then the drain ends it
    return "OK"


# In the order of fuzz_grpc_method.c's credential numbers.
CREDENTIALS = ("secretariat", "reader", "unknown", "none", "reporter")
# The unknown token and no token are refused before anything else: a few
# methods of each kind are enough seeds for them.
REFUSED_SEEDS = {"GetSource", "CreateRecommendation", "RecordFollowUp",
                 "ExportReview", "WatchChanges", "Check"}
# The reporter: its two writes, a read, and two writes it may not make.
REPORTER_SEEDS = {"GetSource", "CreateSource", "RecordFollowUp",
                  "RecordMeasurement", "ValidateSubmission"}


def calls(api):
    """Every seed call: (index, path, name, label, credentials, message)."""
    for index, (path, service, name) in enumerate(api.methods()):
        for number, (label, message) in enumerate(api.requests(service,
                                                               name)):
            for credentials in CREDENTIALS:
                if credentials in ("unknown", "none") and \
                        (name not in REFUSED_SEEDS or number > 0):
                    continue
                if credentials == "reporter" and name not in REPORTER_SEEDS:
                    continue
                if credentials != "secretariat" and \
                        not path.startswith("/rectrack.v1.Tracker/") and \
                        name != "Check":
                    continue
                yield (index, path, name, label, credentials,
                       message.SerializeToString())


def seed_name(path, label, credentials, outcome):
    service, method = path.strip("/").split("/")
    words = service.split(".")
    parts = [words[-1] + "-" + words[-2]  # ServerReflection-v1alpha
             if service.startswith("grpc.reflection.") else words[-1], method]
    if label:
        parts.append(label)
    return ".".join(parts + [credentials, outcome])


def bearer(k, credentials):
    return {"secretariat": "Bearer " + k["FUZZ_SECRETARIAT_TOKEN"],
            "reader": "Bearer " + k["FUZZ_READER_TOKEN"],
            "reporter": "Bearer " + k["FUZZ_REPORTER_TOKEN"],
            "unknown": "Bearer not-a-known-token",
            "none": None}[credentials]


# ---- the two corpora ---------------------------------------------------------

def request_path_corpus(api):
    """{file name: bytes} of corpus/request_path."""
    k = api.k
    out = {}
    for _, path, name, label, credentials, message in calls(api):
        out[seed_name(path, label, credentials,
                      expected(path, name, credentials))] = (
            preface() + unary_call(1, path, message, bearer(k, credentials)))
    out.update(transport_cases(api))
    return out


def transport_cases(api):
    """Seeds for the transport's own paths, each a valid connection."""
    k, pb = api.k, api.pb
    secretariat = bearer(k, "secretariat")
    get = "/rectrack.v1.Tracker/GetSource"
    get_msg = pb.GetSourceRequest(id=k["FUZZ_SOURCE_ID"]).SerializeToString()
    actor_msg = pb.GetActorRequest(id=k["FUZZ_ACTOR_ID"]).SerializeToString()
    cases = {}
    cases["transport.gzip.OK"] = preface() + unary_call(
        1, get, gzip.compress(get_msg, mtime=0), secretariat,
        [("grpc-encoding", "gzip")], compressed=True)
    cases["transport.deflate.OK"] = preface() + unary_call(
        1, get, zlib.compress(get_msg), secretariat,
        [("grpc-encoding", "deflate")], compressed=True)
    cases["transport.timeout.OK"] = preface() + unary_call(
        1, get, get_msg, secretariat, [("grpc-timeout", "10S")])
    cases["transport.two-calls.OK+OK"] = (
        preface() + unary_call(1, get, get_msg, secretariat)
        + unary_call(3, "/rectrack.v1.Tracker/GetActor", actor_msg, secretariat))
    body = grpc_message(get_msg)
    cases["transport.split-data.OK"] = (
        preface() + frame(HEADERS, END_HEADERS, 1,
                          header_block(call_fields(get, secretariat)))
        + frame(DATA, 0, 1, body[:3]) + frame(DATA, 0, 1, body[3:9])
        + frame(DATA, END_STREAM, 1, body[9:]))
    block = header_block(call_fields(get, secretariat))
    cases["transport.continuation.OK"] = (
        preface() + frame(HEADERS, 0, 1, block[:20])
        + frame(CONTINUATION, 0, 1, block[20:50])
        + frame(CONTINUATION, END_HEADERS, 1, block[50:])
        + frame(DATA, END_STREAM, 1, body))
    cases["transport.ping-settings.OK"] = (
        preface() + frame(PING, 0, 0, b"fuzzping")
        + frame(SETTINGS, 0, 0, struct.pack(">HI", 0x1, 8192))
        + unary_call(1, get, get_msg, secretariat))
    # The dynamic table: the first call's fields are indexed, the second
    # refers to them (RFC 7541 section 6.1, index 62 is the newest).
    fields = call_fields(get, secretariat)
    indexed = b"".join(literal(n, v, first=0x40, prefix_bits=6)
                       for n, v in fields)
    refs = b"".join(hpack_int(0x80, 7, 62 + len(fields) - 1 - i)
                    for i in range(len(fields)))
    cases["transport.hpack-indexed.OK+OK"] = (
        preface() + frame(HEADERS, END_HEADERS, 1, indexed)
        + frame(DATA, END_STREAM, 1, body)
        + frame(HEADERS, END_HEADERS, 3, refs)
        + frame(DATA, END_STREAM, 3, body))
    cases["transport.unknown-method.UNIMPLEMENTED"] = preface() + unary_call(
        1, "/rectrack.v1.Tracker/NoSuchMethod", b"", secretariat)
    cases["transport.content-type.HTTP-415"] = preface() + (
        frame(HEADERS, END_HEADERS, 1, header_block(
            [(n, "text/plain" if n == "content-type" else v)
             for n, v in call_fields(get, secretariat)]))
        + frame(DATA, END_STREAM, 1, body))
    cases["transport.get.HTTP-405"] = preface() + frame(
        HEADERS, END_HEADERS | END_STREAM, 1, header_block(
            [(n, "GET" if n == ":method" else v)
             for n, v in call_fields(get, secretariat)]))
    cases["transport.no-message.INTERNAL"] = preface() + frame(
        HEADERS, END_HEADERS | END_STREAM, 1,
        header_block(call_fields(get, secretariat)))
    return cases


# Byte 1 of a grpc_method input (fuzz_grpc_method.c).
FLAG_OPEN_API, FLAG_GZIP, FLAG_DEADLINE, FLAG_SPLIT = 0x04, 0x08, 0x10, 0x40


def credential_flags(credentials):
    """Byte 1's credential bits (bits 0-1 and 7) for credentials."""
    number = CREDENTIALS.index(credentials)
    return (number & 3) | (0x80 if number & 4 else 0)


def grpc_method_corpus(api):
    """{file name: bytes} of corpus/grpc_method."""
    out = {}
    for index, path, name, label, credentials, message in calls(api):
        flags = credential_flags(credentials)
        out[seed_name(path, label, credentials,
                      expected(path, name, credentials))] = (
            bytes([index, flags]) + message)
    methods = {name: (index, path) for index, (path, _, name)
               in enumerate(api.methods())
               if path.startswith("/rectrack.v1.Tracker/")}
    by_name = {}
    for index, path, name, label, credentials, message in calls(api):
        if credentials == "secretariat" and not label:
            by_name[name] = message
    # The open API: x-rectrack-user of the secretariat, a malformed one,
    # none. Each create has an id and request id of its own: request ids
    # are scoped to their principal.
    for name in ("CreateSource", "RecordFollowUp", "GetSource"):
        index, path = methods[name]
        for user, bits, outcome in (("user", 0, "OK"),
                                    ("bad-user", 2,
                                     "OK" if name == "GetSource"
                                     else "INVALID_ARGUMENT"),
                                    ("anonymous", 3, "OK")):
            message = by_name[name]
            if name == "CreateSource":
                request = api.pb.CreateSourceRequest.FromString(message)
                request.source.id += "-" + user
                request.request_id += "-" + user
                message = request.SerializeToString()
            out[seed_name(path, "open", user, outcome)] = bytes(
                [index, FLAG_OPEN_API | bits]) + message
    for name, flag, label in (("CreateRecommendation", FLAG_GZIP, "gzip"),
                              ("ListRecommendations", FLAG_SPLIT, "split"),
                              ("GetRecommendation", FLAG_DEADLINE,
                               "deadline")):
        index, path = methods[name]
        out[seed_name(path, label, "secretariat", "OK")] = bytes(
            [index, flag]) + by_name[name]
    return out


# ---- dictionaries ------------------------------------------------------------

def dict_line(token):
    text = "".join(chr(b) if 0x20 <= b < 0x7f and b not in b'"\\'
                   else "\\x%02x" % b for b in token)
    return '"%s"\n' % text


def http2_dict(api):
    k = api.k
    tokens = [MAGIC, frame(SETTINGS, 0, 0), frame(SETTINGS, ACK, 0),
              frame(PING, 0, 0, b"\0" * 8)[:9], frame(WINDOW_UPDATE, 0, 0)[:9],
              frame(DATA, END_STREAM, 1)[:9],
              frame(HEADERS, END_HEADERS, 1)[:9],
              frame(HEADERS, END_HEADERS | END_STREAM, 1)[:9],
              frame(CONTINUATION, END_HEADERS, 1)[:9],
              struct.pack(">BBI", 3, 0, 1),  # RST_STREAM header tail
              b"\x00\x00\x04\x03\x00\x00\x00\x00\x01",  # RST_STREAM stream 1
              b"\x00\x00\x08\x07\x00\x00\x00\x00\x00",  # GOAWAY
              b"\x00\x00\x00\x00\x00", b"\x01\x00\x00\x00"]
    for text in (":method", "POST", "GET", ":scheme", "http", ":path",
                 ":authority", "content-type", "application/grpc",
                 "application/grpc+proto", "te", "trailers", "grpc-timeout",
                 "grpc-encoding", "gzip", "deflate", "identity",
                 "grpc-accept-encoding", "authorization", "Bearer ",
                 "Bearer " + k["FUZZ_SECRETARIAT_TOKEN"],
                 "Bearer " + k["FUZZ_READER_TOKEN"],
                 "Bearer " + k["FUZZ_REPORTER_TOKEN"], "x-rectrack-user",
                 k["FUZZ_SECRETARIAT_PRINCIPAL"], "1n", "10S", "100m"):
        tokens.append(text.encode())
    tokens += [path.encode() for path, _, _ in api.methods()]
    return "".join(dict_line(t) for t in tokens)


def message_dict(api):
    k = api.k
    words = [k["FUZZ_SOURCE_ID"], k["FUZZ_ACTOR_ID"],
             k["FUZZ_RECOMMENDATION_ID"], k["FUZZ_COMMITMENT_ID"],
             "2025-01-01", "2030-12-31", "10.c", "17.18", "BGD", "title",
             "text", "sdg_targets", "gcm_objectives", "archived", "indicator",
             "status", "due_date", "addressed_to", "name", "country",
             "rectrack.v1.Tracker", "rectrack/v1/tracker.proto"]
    return "".join(dict_line(w.encode()) for w in words)


# ---- writing and checking ----------------------------------------------------

def write_all(api, root):
    corpora = {"request_path": request_path_corpus(api),
               "grpc_method": grpc_method_corpus(api)}
    for target, files in corpora.items():
        directory = os.path.join(root, "corpus", target)
        if os.path.isdir(directory):
            shutil.rmtree(directory)
        os.makedirs(directory)
        for name, data in files.items():
            with open(os.path.join(directory, name), "wb") as f:
                f.write(data)
    with open(os.path.join(root, "request_path.dict"), "w") as f:
        f.write("# HTTP/2 and gRPC tokens (written by gen_corpus.py)\n")
        f.write(http2_dict(api))
    with open(os.path.join(root, "grpc_method.dict"), "w") as f:
        f.write("# ids, dates and field names (written by gen_corpus.py)\n")
        f.write(message_dict(api))
    return sum(len(files) for files in corpora.values())


def differences(a, b):
    """Paths (relative) that differ between trees a and b."""
    diff = []
    compare = filecmp.dircmp(a, b)

    def walk(c, prefix):
        diff.extend(os.path.join(prefix, n) for n in
                    c.left_only + c.right_only + c.diff_files)
        for name, sub in c.subdirs.items():
            walk(sub, os.path.join(prefix, name))
    walk(compare, "")
    return diff


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gen-dir", required=True,
                        help="the generated Python stubs (BUILD/gen/python)")
    parser.add_argument("--check", action="store_true",
                        help="fail if the committed files are not current")
    args = parser.parse_args()
    api = Api(args.gen_dir, harness_constants())
    if not args.check:
        count = write_all(api, HERE)
        print("gen_corpus.py: wrote %d seeds" % count)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        write_all(api, scratch)
        committed = os.path.join(scratch, "committed")
        os.makedirs(committed)
        for name in ("corpus", "request_path.dict", "grpc_method.dict"):
            source = os.path.join(HERE, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(committed, name))
            elif os.path.exists(source):
                shutil.copy(source, committed)
        fresh = os.path.join(scratch, "fresh")
        os.makedirs(fresh)
        for name in ("corpus", "request_path.dict", "grpc_method.dict"):
            shutil.move(os.path.join(scratch, name), fresh)
        diff = differences(committed, fresh)
    if diff:
        print("gen_corpus.py: the committed corpus is not what the protobuf "
              "definitions give; run tests/fuzz/gen_corpus.py --gen-dir "
              "BUILD/gen/python and commit. Differs: " + ", ".join(diff))
        return 1
    print("gen_corpus.py: the committed corpus is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
