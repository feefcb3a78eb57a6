"""Tracker end-to-end: links between recommendations through the stock
grpcio client. Each kind is stored and its inverse computed on Get and
List, refused links are INVALID_ARGUMENT naming the field, related_to
filters, and each link change is one entry of the change log."""

import grpc

import rtharness
from rtharness import pb, res, make_source, recommendation

ECHOES = res.LINK_KIND_ECHOES
SUPERSEDES = res.LINK_KIND_SUPERSEDES


class LinksTest(rtharness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = make_source(cls.stub)

    def new_rec(self, **fields):
        return self.stub.CreateRecommendation(pb.CreateRecommendationRequest(
            recommendation=recommendation(self.source.id, **fields)))

    def set_links(self, rec_id, links):
        return self.stub.UpdateRecommendation(pb.UpdateRecommendationRequest(
            recommendation=res.Recommendation(id=rec_id, links=[
                res.RecommendationLink(kind=kind, recommendation_id=target)
                for kind, target in links]),
            update_mask=["links"]))

    def get(self, rec_id):
        return self.stub.GetRecommendation(
            pb.GetRecommendationRequest(id=rec_id))

    def test_links_and_their_inverse_on_get_and_list(self):
        earlier = self.new_rec(title="Better migration data (IDM 2016)")
        kinds = [res.LINK_KIND_ECHOES, res.LINK_KIND_BUILDS_ON,
                 res.LINK_KIND_SUPERSEDES, res.LINK_KIND_RELATED]
        later = [self.new_rec(title="Later %d" % i) for i in range(4)]
        for rec, kind in zip(later, kinds):
            updated = self.set_links(rec.id, [(kind, earlier.id)])
            self.assertEqual([(l.kind, l.recommendation_id)
                              for l in updated.links], [(kind, earlier.id)])
        got = self.get(earlier.id)
        self.assertEqual([(l.kind, l.recommendation_id)
                          for l in got.linked_from],
                         [(k, r.id) for r, k in zip(later, kinds)])
        self.assertEqual(got.title, "Better migration data (IDM 2016)")
        # linked_from is computed, never taken from a write.
        self.assertEqual(len(self.get(later[0].id).linked_from), 0)
        listed = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
            related_to=earlier.id))
        self.assertEqual([r.id for r in listed.recommendations],
                         [r.id for r in later])
        self.assertEqual(listed.total_size, 4)
        echoing = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
            related_to=earlier.id, link_kind=ECHOES))
        self.assertEqual([r.id for r in echoing.recommendations],
                         [later[0].id])
        wide = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
            page_size=1000))
        by_id = {r.id: r for r in wide.recommendations}
        self.assertEqual(len(by_id[earlier.id].linked_from), 4)

    def test_refused_links_are_invalid_argument_naming_the_field(self):
        a, b = self.new_rec(title="A"), self.new_rec(title="B")
        self.set_links(b.id, [(SUPERSEDES, a.id)])
        for links, says in (
                ([(ECHOES, a.id)], "itself"),
                ([(ECHOES, "R99999")], "does not exist"),
                ([(SUPERSEDES, b.id)], "cycle"),
                ([(ECHOES, b.id), (SUPERSEDES, b.id)], "already linked")):
            with self.assertRaises(grpc.RpcError) as caught:
                self.set_links(a.id, links)
            self.assertEqual(caught.exception.code(),
                             grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("recommendation.links[", caught.exception.details())
            self.assertIn(says, caught.exception.details())
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.ListRecommendations(pb.ListRecommendationsRequest(
                link_kind=ECHOES))
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("link_kind", caught.exception.details())

    def test_a_link_change_is_one_log_entry(self):
        a, b = self.new_rec(title="A"), self.new_rec(title="B")
        linked = self.set_links(b.id, [(ECHOES, a.id)])
        unlinked = self.set_links(b.id, [])
        stream = self.stub.WatchChanges(pb.WatchChangesRequest(
            from_revision=linked.revision))
        events = []
        for event in stream:
            events.append(event)
            if event.revision >= unlinked.revision:
                break
        stream.cancel()
        self.assertEqual([(e.revision, e.subject_id, list(e.changed_fields))
                          for e in events],
                         [(linked.revision, b.id, ["links"]),
                          (unlinked.revision, b.id, ["links"])])
        self.assertEqual(len(events[0].recommendation.links), 1)
        self.assertEqual(len(events[1].recommendation.links), 0)


if __name__ == "__main__":
    rtharness.main()
