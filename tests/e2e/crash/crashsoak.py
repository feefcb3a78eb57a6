"""Crash safety of rectrackd: concurrent writers, SIGKILL at a random
moment, restart on the same data directory, and a check that nothing
acknowledged was lost or changed and nothing unacknowledged was half
written. Used by test_crash.py (a bounded number of cycles, in the tests)
and bench/run-crash-soak.sh (as many cycles as asked).

One cycle:
  1. rectrackd runs on the data directory (started fresh, or restarted
     after the previous kill). The main thread creates the cycle's
     fixtures, acknowledged before any writer starts: a source that the
     cycle's new recommendations cite, two recommendations that its
     follow-ups report on, and a quantified commitment its measurements
     go to (so that each cycle's writes are found by one list each).
  2. Writer threads (WRITERS by default), each with its own channel and
     WINDOW calls in flight, send a seeded random mix of
     CreateRecommendation, RecordFollowUp and RecordMeasurement, each
     with a request_id and a unique token in its title or note; every acknowledged reply is
     recorded (id, request_id, revision, the whole message), every call
     that failed is recorded as sent but not acknowledged.
  3. Once writes are being acknowledged, the main thread waits a random
     time (the cycle's RNG, from the printed seed) and SIGKILLs the server
     while calls are in flight. A call that fails before the kill fails
     the run; after it, calls fail with UNAVAILABLE (or CANCELLED).
  4. Optionally `rectrack-admin verify` on the directory as the kill
     left it; then rectrackd restarts on it, and the cycle's writes are
     checked: every acknowledged one is there, equal to its reply (its
     revision included); an unacknowledged one is absent or there whole
     (every field as sent), never twice; nothing is there that nobody
     sent; the server's revision is at least the highest acknowledged.
After the last cycle the server is killed once more, the directory is
verified, the server restarts, and every acknowledged write of every
cycle is checked again; then it stops gracefully (exit 0 required).

Counts, not times, are asserted: a slow machine makes fewer writes per
cycle, never a failure.
"""

import collections
import datetime
import random
import threading
import time

import grpc

import rtharness
from rtharness import pb, res

WRITERS = 4         # writer threads, each with its own connection
WINDOW = 8          # calls in flight per writer
KILL_AFTER_S = (0.05, 0.6)  # after the first acknowledgment of the cycle
PAGE = 1000
# Errors a call may end with once the server is killed.
KILLED_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
STATUSES = (res.STATUS_NOT_STARTED, res.STATUS_IN_PROGRESS,
            res.STATUS_PARTIALLY_IMPLEMENTED, res.STATUS_STALLED)


class SoakFailure(AssertionError):
    pass


def cycle_date(cycle):
    """The as_of of a cycle's follow-ups and measurements, one day each
    (so that a period list holds one cycle's follow-ups alone)."""
    return (datetime.date(2020, 1, 1)
            + datetime.timedelta(days=cycle)).isoformat()


# ---- what was sent and what came back ---------------------------------------

Sent = collections.namedtuple("Sent", "kind token request")


class Ledger:
    """Every write of one cycle: acknowledged (token -> reply) and not
    (token -> Sent). Filled by the writer threads under a lock."""

    def __init__(self, cycle):
        self.cycle = cycle
        self.lock = threading.Lock()
        self.acked = {}     # token -> (Sent, reply)
        self.unacked = {}   # token -> (Sent, grpc code)
        self.early_errors = []  # calls that failed before the kill
        self.kill_time = None

    def ack(self, sent, reply):
        with self.lock:
            self.acked[sent.token] = (sent, reply)

    def fail(self, sent, error, when):
        with self.lock:
            self.unacked[sent.token] = (sent, error.code())
            if self.kill_time is None or when < self.kill_time:
                self.early_errors.append("%s %s: %s %s" % (
                    sent.kind, sent.token, error.code(), error.details()))


class Fixtures:
    """A cycle's records: the source its creates cite (so that one list
    finds them), the recommendations its follow-ups report on and the
    commitment its measurements go to."""

    def __init__(self, stub, cycle):
        date = cycle_date(cycle)
        source_id = stub.CreateSource(pb.CreateSourceRequest(
            source=res.Source(id="crash-%d" % cycle,
                              title="Crash cycle %d" % cycle, date=date,
                              kind=res.SOURCE_KIND_DIALOGUE),
            request_id="source-%d" % cycle)).id
        self.source_id = source_id
        self.subjects = [stub.CreateRecommendation(
            pb.CreateRecommendationRequest(
                recommendation=res.Recommendation(
                    source_id=source_id, source_ref="c%d" % cycle,
                    title="Subject %d of cycle %d" % (i, cycle),
                    theme="remittances", sdg_targets=["10.7"],
                    gcm_objectives=[23]),
                request_id="subject-%d-%d" % (cycle, i))).id
            for i in range(2)]
        self.commitment = stub.CreateCommitment(pb.CreateCommitmentRequest(
            commitment=res.Commitment(
                actor_id="crash-actor", source_id=source_id,
                title="Commitment of cycle %d" % cycle,
                kind=res.COMMITMENT_KIND_QUANTIFIED_TARGET,
                made_on="2019-12-01",
                indicator=res.Indicator(
                    name="Cost", unit="per cent", baseline_value=7,
                    baseline_date="2019-01-01", target_value=3,
                    target_date="2035-01-01",
                    direction=res.DIRECTION_DECREASE)),
            request_id="commitment-%d" % cycle)).id
        self.date = date


# ---- the writers ------------------------------------------------------------

class Writer(threading.Thread):
    """Sends writes, window of them in flight, until told to stop."""

    def __init__(self, address, ledger, fixtures, index, rng_seed, window,
                 stop, first_ack):
        super().__init__(daemon=True)
        self.address = address
        self.ledger = ledger
        self.fixtures = fixtures
        self.index = index
        self.rng = random.Random(rng_seed)
        self.window = window
        self.stop = stop
        self.first_ack = first_ack
        self.count = 0
        self.crashed = None

    def next_write(self, stub):
        """(Sent, future) of one random write."""
        self.count += 1
        token = "c%d-w%d-%d" % (self.ledger.cycle, self.index, self.count)
        roll = self.rng.random()
        if roll < 0.5:
            request = pb.CreateRecommendationRequest(
                recommendation=res.Recommendation(
                    source_id=self.fixtures.source_id, source_ref="crash",
                    title="Crash " + token,
                    text="Written by writer %d." % self.index,
                    theme="remittances", sdg_targets=["10.c"],
                    gcm_objectives=[self.rng.randint(1, 23)],
                    addressed_to=["crash-actor"]),
                request_id=token)
            return (Sent("create", token, request),
                    stub.CreateRecommendation.future(request))
        if roll < 0.8:
            request = pb.RecordFollowUpRequest(
                follow_up=res.FollowUp(
                    subject_id=self.rng.choice(self.fixtures.subjects),
                    status=self.rng.choice(STATUSES), note="note " + token,
                    reported_by="crash-actor", as_of=self.fixtures.date),
                request_id=token)
            return (Sent("follow_up", token, request),
                    stub.RecordFollowUp.future(request))
        request = pb.RecordMeasurementRequest(
            commitment_id=self.fixtures.commitment,
            measurement=res.Measurement(
                value=round(self.rng.uniform(3, 7), 3),
                as_of=self.fixtures.date, source="crash soak",
                note="measure " + token),
            request_id=token)
        return (Sent("measurement", token, request),
                stub.RecordMeasurement.future(request))

    def settle(self, sent, future):
        try:
            reply = future.result(timeout=rtharness.PATIENCE)
        except grpc.RpcError as error:
            self.ledger.fail(sent, error, time.monotonic())
            return False
        self.ledger.ack(sent, reply)
        self.first_ack.set()
        return True

    def run(self):
        channel = grpc.insecure_channel(self.address)
        stub = rtharness.pb_grpc.TrackerStub(channel)
        inflight = collections.deque()
        try:
            while not self.stop.is_set():
                while len(inflight) < self.window and not self.stop.is_set():
                    inflight.append(self.next_write(stub))
                if inflight and not self.settle(*inflight.popleft()):
                    break  # the server is gone: drain what is in flight
            while inflight:
                self.settle(*inflight.popleft())
        except Exception as error:  # noqa: BLE001 (reported by the soak)
            self.crashed = error
        finally:
            channel.close()


# ---- checking ---------------------------------------------------------------

def pages(call, request, field):
    """Every item of a paged List call."""
    items = []
    while True:
        reply = call(request)
        items.extend(getattr(reply, field))
        if not reply.next_page_token:
            return items
        request.page_token = reply.next_page_token


def same_create(request, rec):
    """Whether rec holds every field the create sent."""
    sent = request.recommendation
    return all(getattr(rec, f) == getattr(sent, f) for f in (
        "source_id", "source_ref", "title", "text", "theme")) and \
        list(rec.sdg_targets) == list(sent.sdg_targets) and \
        list(rec.gcm_objectives) == list(sent.gcm_objectives) and \
        list(rec.addressed_to) == list(sent.addressed_to)


def same_follow_up(request, follow_up):
    sent = request.follow_up
    return all(getattr(follow_up, f) == getattr(sent, f) for f in (
        "subject_id", "status", "note", "reported_by", "as_of"))


def same_measurement(request, measurement):
    sent = request.measurement
    return all(getattr(measurement, f) == getattr(sent, f) for f in (
        "value", "as_of", "source", "note"))


class Tally:
    """What the checks found, over every cycle."""

    def __init__(self):
        self.acked = collections.Counter()   # kind -> acknowledged writes
        self.unacked_present = 0
        self.unacked_absent = 0
        self.lost = []      # acknowledged, missing or changed
        self.partial = []   # unacknowledged, present but not as sent
        self.phantom = []   # present, never sent (or twice)
        self.verified = 0   # rectrack-admin verify runs that passed


def check_cycle(stub, ledger, fixtures, tally, count=True):
    """Checks one cycle's writes against the restarted server; returns
    how many of its unacknowledged writes were committed."""
    found = {"create": collections.defaultdict(list),
             "follow_up": collections.defaultdict(list),
             "measurement": collections.defaultdict(list)}
    for rec in pages(stub.ListRecommendations,
                     pb.ListRecommendationsRequest(
                         page_size=PAGE, source_id=fixtures.source_id,
                         include_archived=True), "recommendations"):
        if rec.title.startswith("Crash c%d-" % ledger.cycle):
            found["create"][rec.title[len("Crash "):]].append(rec)
    for follow_up in pages(stub.ListFollowUps, pb.ListFollowUpsRequest(
            from_date=fixtures.date, to_date=fixtures.date,
            page_size=PAGE), "follow_ups"):
        found["follow_up"][follow_up.note[len("note "):]].append(follow_up)
    for measurement in pages(stub.ListMeasurements, pb.ListMeasurementsRequest(
            commitment_id=fixtures.commitment, page_size=PAGE),
            "measurements"):
        found["measurement"][measurement.note[len("measure "):]].append(
            measurement)

    for token, (sent, reply) in ledger.acked.items():
        items = found[sent.kind].pop(token, [])
        if count:
            tally.acked[sent.kind] += 1
        if len(items) != 1:
            tally.lost.append("%s %s acknowledged, found %d times" % (
                sent.kind, token, len(items)))
        elif not acknowledged_matches(sent, reply, items[0]):
            tally.lost.append("%s %s acknowledged as\n%s\nnow\n%s" % (
                sent.kind, token, reply, items[0]))
    committed = 0
    for token, (sent, code) in ledger.unacked.items():
        items = found[sent.kind].pop(token, [])
        same = {"create": same_create, "follow_up": same_follow_up,
                "measurement": same_measurement}[sent.kind]
        if len(items) > 1:
            tally.phantom.append("%s %s found %d times" % (sent.kind, token,
                                                          len(items)))
        elif items and not same(sent.request, items[0]):
            tally.partial.append("%s %s (%s) is there but not as sent:\n%s"
                                 % (sent.kind, token, code, items[0]))
        elif items:
            committed += 1
            tally.unacked_present += count
        else:
            tally.unacked_absent += count
    for kind, left in found.items():
        for token in left:
            tally.phantom.append("%s %s is there, nobody sent it" % (kind,
                                                                    token))
    if ledger.acked:
        highest = max(reply.revision for _, reply in ledger.acked.values())
        revision = stub.GetServerInfo(pb.GetServerInfoRequest()).revision
        if revision < highest:
            tally.lost.append("server revision %d below the acknowledged %d"
                              % (revision, highest))
    return committed


def acknowledged_matches(sent, reply, item):
    """The stored write is the acknowledged one, field for field."""
    if sent.kind == "create":
        return item == reply
    if sent.kind == "follow_up":
        item = type(item).FromString(item.SerializeToString())
        item.ClearField("subject_title")  # filled in listings
        return item == reply
    # RecordMeasurement answers the commitment; the measurement carries
    # the revision of that change.
    return same_measurement(sent.request, item) and \
        item.revision == reply.revision


# ---- the soak ---------------------------------------------------------------

class Soak:
    """Runs cycles against one rectrackd data directory."""

    def __init__(self, seed, writers=WRITERS, window=WINDOW,
                 kill_after_s=KILL_AFTER_S, verify_every=1, log=print,
                 server_flags=()):
        self.seed = seed
        self.rng = random.Random(seed)
        self.writers = writers
        self.window = window
        self.kill_after_s = kill_after_s
        self.verify_every = verify_every
        self.log = log
        self.server = rtharness.Server(*server_flags)
        self.tally = Tally()
        self.history = []   # (ledger, fixtures) per cycle

    def close(self):
        self.server.close()

    def setup(self):
        self.server.start()
        stub = self.server.stub()
        stub.CreateActor(pb.CreateActorRequest(actor=res.Actor(
            id="crash-actor", name="Crashland",
            kind=res.ACTOR_KIND_MEMBER_STATE, country="MEX")))

    def verify(self, what):
        result = self.server.admin("verify")
        if result.code != 0:
            raise SoakFailure("rectrack-admin verify failed %s:\n%r" % (
                what, result))
        self.tally.verified += 1

    def cycle(self, number):
        fixtures = Fixtures(self.server.stub(), number)
        ledger = Ledger(number)
        stop, first_ack = threading.Event(), threading.Event()
        writers = [Writer(self.server.address, ledger, fixtures, i,
                          self.rng.getrandbits(32), self.window, stop,
                          first_ack)
                   for i in range(self.writers)]
        delay = self.rng.uniform(*self.kill_after_s)
        for writer in writers:
            writer.start()
        if not first_ack.wait(rtharness.PATIENCE):
            raise SoakFailure("cycle %d: no write acknowledged in %.0f s" % (
                number, rtharness.PATIENCE))
        time.sleep(delay)
        with ledger.lock:
            ledger.kill_time = time.monotonic()
        self.server.kill()
        stop.set()
        for writer in writers:
            writer.join(rtharness.PATIENCE)
            if writer.is_alive() or writer.crashed is not None:
                raise SoakFailure("cycle %d: writer %d %s" % (
                    number, writer.index, writer.crashed or "hung"))
        if ledger.early_errors:
            raise SoakFailure("cycle %d: calls failed before the kill:\n%s"
                              % (number, "\n".join(ledger.early_errors[:10])))
        odd = [code for _, code in ledger.unacked.values()
               if code not in KILLED_CODES]
        if odd:
            raise SoakFailure("cycle %d: calls cut by the kill ended with %s"
                              % (number, sorted(set(map(str, odd)))))
        if self.verify_every and number % self.verify_every == 0:
            self.verify("after the kill of cycle %d" % number)
        self.server.start()
        committed = check_cycle(self.server.stub(), ledger, fixtures,
                                self.tally)
        self.history.append((ledger, fixtures))
        self.log("cycle %d: killed %.0f ms after the first acknowledgment: "
                 "%d acknowledged, %d cut by the kill (%d of them committed)"
                 % (number, delay * 1000, len(ledger.acked),
                    len(ledger.unacked), committed))
        self.fail_if_broken()

    def fail_if_broken(self):
        tally = self.tally
        problems = tally.lost + tally.partial + tally.phantom
        if problems:
            raise SoakFailure("%d lost, %d partial, %d phantom writes:\n%s" % (
                len(tally.lost), len(tally.partial), len(tally.phantom),
                "\n".join(problems[:10])))

    def finish(self):
        """The last kill, verify, restart, every cycle checked again, and
        a graceful stop."""
        self.server.kill()
        self.verify("after the last kill")
        self.server.start()
        stub = self.server.stub()
        for ledger, fixtures in self.history:
            check_cycle(stub, ledger, fixtures, self.tally, count=False)
        self.fail_if_broken()
        self.server.stop()
        self.verify("after the final graceful stop")

    def run(self, cycles):
        self.log("crash soak: seed %d, %d cycles, %d writers x %d in flight, "
                 "kill %.2f-%.2f s after the first acknowledgment" % (
                     self.seed, cycles, self.writers, self.window,
                     *self.kill_after_s))
        started = time.monotonic()
        self.setup()
        for number in range(1, cycles + 1):
            self.cycle(number)
        self.finish()
        return time.monotonic() - started
