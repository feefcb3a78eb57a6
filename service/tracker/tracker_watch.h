/*
 * tracker_watch: the life of the WatchChanges streams, for the assembly
 * (tracker.c): the pump that sends them the change log, told of every
 * commit, and their end at shutdown. The RPC itself is in
 * tracker_watch_routes (tracker_call.h). Private to service/tracker.
 */
#ifndef TRACKER_WATCH_H
#define TRACKER_WATCH_H

#include "tracker_call.h"

/* Sets up the pump on tracker's loop. Returns 0, RT_ENOMEM or RT_EIO. */
int tracker_watch_init(rt_tracker_t *tracker);

/* The writer's on_commit (data is the tracker): streams behind revision
 * are due a turn of the pump. */
void tracker_watch_on_commit(uint64_t revision, void *data);

/* Ends every stream with UNAVAILABLE and closes the pump, then calls
 * closed(tracker). */
void tracker_watch_shutdown(rt_tracker_t *tracker,
                            void (*closed)(rt_tracker_t *tracker));

/* Frees the streams' state without touching their calls (rt_tracker_free
 * without a drain) and closes the pump. */
void tracker_watch_release(rt_tracker_t *tracker);

#endif /* TRACKER_WATCH_H */
