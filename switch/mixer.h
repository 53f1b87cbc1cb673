/* mixer.h: the conference mixer as pure logic: rooms of participants, RTP
 * audio in (jitter buffer, G.711 decode, loss concealment), each listener
 * the mix of the others (N-1), RTP audio out.
 *
 * Nothing here opens a socket or reads a clock. The switch pushes each
 * received RTP audio packet (bh_mixer_put) with its arrival time, calls
 * bh_mixer_tick once per 20 ms frame with the frame's scheduled time, and
 * sends the packets the tick returns; a room's recording tap comes back
 * from the same tick as 16-bit samples (recording.h writes them).
 *
 * The mix. Per frame, each participant's next frame is pulled from its
 * jitter buffer (proto's bh_jitter), concealed when lost (the last frame
 * repeated, fading out over three frames), and judged talking or silent
 * by its energy (mean |sample| against `silence`, with `hangover` frames
 * of grace after the last loud one). Muted and silent participants do not
 * contribute. The talkers mixed are all of them, or in a room of more than
 * talkers + 1 participants only the `talkers` loudest. Their frames are
 * summed in 32 bits; a mixed talker hears that sum minus its own frame,
 * clipped to 16 bits once at the end -- never the clipped sum minus its
 * own frame, which leaks a loud talker's voice back to it. Everyone else
 * hears the whole sum, clipped, encoded once per codec and shared.
 *
 * Costs: a tick is O(participants) plus O(talkers mixed) encodes plus one
 * encode per codec; silent frames are judged from their G.711 codes
 * without decoding them.
 *
 * Memory: the mixer owns its rooms and participants; the handles it gives
 * out are valid until bh_mixer_room_free / bh_mixer_leave /
 * bh_mixer_free. `user` pointers are borrowed and only handed back. */
#ifndef BH_MIXER_H
#define BH_MIXER_H

#include "bh.h"
#include "proto.h"
#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounded sizes, each tested. */
#define BH_MIXER_RATE 8000   /* samples per second (G.711) */
#define BH_MIXER_FRAME 160   /* samples in a 20 ms frame, the tick */
#define BH_MIXER_PTIME 0.020 /* s per frame */
#define BH_MIXER_PLAY_MAX                                                      \
    8000 /* samples queued to play (1 s), per room                             \
            and per participant */
#define BH_MIXER_MAX_TALKERS BH_SC_MAX_TALKERS /* option `talkers` */

struct bh_mixer_options {
    int talkers;    /* 1..BH_MIXER_MAX_TALKERS; default 3 */
    int silence;    /* mean |sample| (16-bit linear) below which a frame
                       is silent; default 64 (about -54 dBov) */
    int hangover;   /* frames a talker stays talking after its last loud
                       frame; default 10 (200 ms) */
    int jitter_min; /* jitter buffer delay bounds in frames, as
                       bh_jitter_init; default 2 and 10 */
    int jitter_max;
};

/* Fills the defaults above. */
void bh_mixer_options_default(struct bh_mixer_options *o);

struct bh_mixer;
struct bh_mixer_room;
struct bh_mixer_part;

/* A mixer with options o (copied; NULL for the defaults). BH_EINVAL for
 * options out of range, BH_ENOMEM. */
int bh_mixer_new(const struct bh_mixer_options *o, struct bh_mixer **out);
/* Frees the mixer with all its rooms and participants; NULL is harmless. */
void bh_mixer_free(struct bh_mixer *m);

/* A new, empty room. With `record`, each tick returns the room's mix (what
 * a listener who is not talking hears). */
int bh_mixer_room_new(struct bh_mixer *m, void *user, bool record,
                      struct bh_mixer_room **out);
/* Frees an empty room; BH_ESTATE while participants remain (they leave
 * first). NULL is harmless. */
int bh_mixer_room_free(struct bh_mixer_room *r);
size_t bh_mixer_room_size(const struct bh_mixer_room *r);

/* How a participant is heard: its codec and its outgoing RTP stream. The
 * SSRC, first sequence number and first timestamp are random values the
 * caller draws (RFC 3550 5.1: they start at random). */
struct bh_mixer_join {
    void *user; /* borrowed; handed back with each of its packets */
    uint8_t pt; /* BH_RTP_PT_PCMU or BH_RTP_PT_PCMA */
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
};

/* Adds a participant to room r. BH_EINVAL for another codec, BH_ENOMEM.
 * About 33 KB each (the jitter buffer). The switch bounds participants by
 * its bridges' ports. */
int bh_mixer_join(struct bh_mixer_room *r, const struct bh_mixer_join *j,
                  struct bh_mixer_part **out);
/* Removes and frees the participant; NULL is harmless. */
void bh_mixer_leave(struct bh_mixer_part *p);

/* One received RTP packet h (parsed by the caller, who routes RFC 4733
 * events elsewhere) arriving at `now` (s, the clock of the ticks). The
 * payload is copied. Returns 0 when stored, 1 when discarded as late or
 * duplicate (counted), BH_EINVAL when it is not a 20 ms G.711 frame
 * (PCMU or PCMA, BH_MIXER_FRAME bytes). */
int bh_mixer_put(struct bh_mixer_part *p, const struct bh_rtp_hdr *h,
                 double now);

/* A muted participant is heard by nobody; it still hears the room. */
void bh_mixer_mute(struct bh_mixer_part *p, bool muted);
bool bh_mixer_muted(const struct bh_mixer_part *p);
/* Whether its last frame was judged talking (not muted, loud enough or in
 * its hangover) and whether it was among the talkers mixed. */
bool bh_mixer_talking(const struct bh_mixer_part *p);
bool bh_mixer_mixed(const struct bh_mixer_part *p);
const struct bh_jitter_stats *
bh_mixer_jitter_stats(const struct bh_mixer_part *p);

/* Queues n samples (16-bit linear, 8 kHz) to be added to what the whole
 * room hears, from the next tick on (join and leave tones), or to what one
 * participant hears (music on hold, a beep). Returns 0, or BH_ETOOBIG
 * when more than BH_MIXER_PLAY_MAX samples would be waiting (nothing is
 * queued then). */
int bh_mixer_play_room(struct bh_mixer_room *r, const int16_t *pcm, size_t n);
int bh_mixer_play(struct bh_mixer_part *p, const int16_t *pcm, size_t n);
/* Samples still queued. */
size_t bh_mixer_play_room_pending(const struct bh_mixer_room *r);
size_t bh_mixer_play_pending(const struct bh_mixer_part *p);

/* What one tick emits. Packets: one per participant, its RTP header built
 * (version 2, marker on the first packet of the stream, the listener's codec,
 * sequence number, timestamp and SSRC) and its payload a view into mixer memory
 * shared between listeners who hear the same encoded mix. Records: one per
 * recorded room, BH_MIXER_FRAME samples of its mix. Everything is valid until
 * the next tick, join, leave or free. */
struct bh_mixer_packet {
    void *user;
    uint8_t head[BH_RTP_HEADER_LEN];
    const uint8_t *payload;
    size_t len;
};

struct bh_mixer_record {
    void *user;
    const int16_t *pcm;
};

struct bh_mixer_output {
    const struct bh_mixer_packet *packets;
    size_t npackets;
    const struct bh_mixer_record *records;
    size_t nrecords;
};

/* Mixes one frame for every room. `now` is the frame's scheduled time (s,
 * the same clock as bh_mixer_put): outgoing timestamps follow it, 160 per
 * 20 ms, so that a frame the scheduler skipped shows as a timestamp gap
 * with consecutive sequence numbers (RFC 3550 5.1). Returns 0 or
 * BH_ENOMEM. */
int bh_mixer_tick(struct bh_mixer *m, double now, struct bh_mixer_output *out);

struct bh_mixer_stats {
    uint64_t ticks;
    uint64_t skipped;   /* frames between ticks more than 20 ms apart */
    uint64_t frames;    /* frames pulled from jitter buffers */
    uint64_t concealed; /* lost frames concealed */
    uint64_t silent;    /* frames judged silent (not decoded) */
    uint64_t mixed;     /* talker frames summed into a mix */
    uint64_t encodes;   /* frames encoded (own and shared) */
    uint64_t shared;    /* packets that reused a shared encoding */
    uint64_t packets;   /* packets emitted */
};

void bh_mixer_stats(const struct bh_mixer *m, struct bh_mixer_stats *st);
size_t bh_mixer_participants(const struct bh_mixer *m);

#endif
