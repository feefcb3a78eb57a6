"""Crash safety end-to-end: concurrent writers, at least 30 SIGKILLs of
rectrackd at random moments while writes are in flight, each followed by
a restart on the same data directory; every acknowledged write must be
there unchanged, every unacknowledged one whole or absent, and
rectrack-admin verify must find the store sound after every kill and at
the end. crashsoak.py has the design; bench/run-crash-soak.sh runs the
same for as many cycles as asked.

RT_CRASH_SEED replays a run's kill moments and write mix (the seed is
printed); RT_CRASH_CYCLES changes the number of cycles (at least 30 here).
"""

import os
import random
import sys
import unittest

import rtharness
import crashsoak

CYCLES = max(30, int(os.environ.get("RT_CRASH_CYCLES", "32")))


class CrashTest(unittest.TestCase):

    def test_acknowledged_writes_survive_sigkill(self):
        seed = int(os.environ.get("RT_CRASH_SEED",
                                  random.SystemRandom().getrandbits(32)))
        soak = crashsoak.Soak(seed, log=lambda line: print(line, flush=True))
        self.addCleanup(soak.close)
        try:
            soak.run(CYCLES)
        except crashsoak.SoakFailure as failure:
            self.fail("seed %d (RT_CRASH_SEED=%d replays it): %s"
                      % (seed, seed, failure))
        tally = soak.tally
        print("crash test: seed %d, %d cycles, acknowledged %s, cut by the "
              "kill %d committed and %d not, %d verify runs" % (
                  seed, CYCLES, dict(tally.acked), tally.unacked_present,
                  tally.unacked_absent, tally.verified), flush=True)
        self.assertEqual(len(soak.history), CYCLES)
        self.assertEqual(tally.lost, [])
        self.assertEqual(tally.partial, [])
        self.assertEqual(tally.phantom, [])
        # Every cycle had acknowledged writes before its kill, of all
        # three kinds over the run, and every kill cut calls in flight.
        self.assertTrue(all(ledger.acked for ledger, _ in soak.history))
        self.assertEqual(set(tally.acked),
                         {"create", "follow_up", "measurement"})
        self.assertGreater(tally.unacked_present + tally.unacked_absent, 0)
        self.assertEqual(tally.verified, CYCLES + 2)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    rtharness.main()
