/* conf.h: conference rooms on the call core's legs -- the mixer (mixer.c)
 * driven by one drift-corrected 20 ms tick for every room of the switch,
 * legs' received RTP into their participants' jitter buffers, each
 * listener's mix sent to its leg, tones and music on hold into the mix,
 * and a room's mix recorded to a WAV file.
 *
 * This is the plumbing a service uses to "put these legs in a room": the
 * dial-in bridge (bridge.c) does, and an ad-hoc conference of a PBX can.
 * It knows nothing of passcodes, ports or CDRs. Everything runs on the
 * switch's loop. */
#ifndef BH_SWITCH_CONF_H
#define BH_SWITCH_CONF_H

#include "call.h"

#include <stdbool.h>

struct sw_conf_room;
struct sw_conf_part;

/* A new, empty room whose mix talks to at most `talkers` loudest talkers
 * (1..BH_MIXER_MAX_TALKERS; 0: the default, 3). With record_path (not
 * NULL), the room's mix is written to that WAV file (8 kHz, 16-bit mono)
 * until the room is freed, and listed (sw_conf_recordings) under `label`
 * (e.g. "conf/111222"). The tick runs while any room exists. Returns
 * 0, BH_EIO (the file: libsndfile's reason in err), BH_ENOMEM. */
int sw_conf_room_new(struct bh_switch *sw, int talkers, const char *record_path,
                     const char *label, struct sw_conf_room **out, char *err,
                     size_t errlen);
/* Frees a room: its participants leave first (their legs detached); the
 * recording is closed. NULL is harmless. */
void sw_conf_room_free(struct sw_conf_room *r);
size_t sw_conf_room_size(const struct sw_conf_room *r);
/* The room's recording file, or "" when it is not recorded. */
const char *sw_conf_room_recording(const struct sw_conf_room *r);
/* A recorded room that is one call: its caller and the number called,
 * for /recordings. */
void sw_conf_room_call(struct sw_conf_room *r, const char *caller,
                       const char *number);

/* The leg joins the room: its received audio (what is left after digits
 * are taken out) goes to the mixer, and from the next tick on it hears
 * the others, in its own codec, its RTP stream continued (SSRC, sequence
 * number). A sound being played to the leg is stopped. BH_EINVAL for a
 * codec other than G.711, BH_ENOMEM. */
int sw_conf_join(struct sw_conf_room *r, struct leg *leg,
                 struct sw_conf_part **out);
/* The participant leaves (its leg detached and given its RTP stream
 * back); NULL is harmless. */
void sw_conf_leave(struct sw_conf_part *p);
void sw_conf_mute(struct sw_conf_part *p, bool muted);
/* Music on hold to this participant alone (on until turned off). */
void sw_conf_moh(struct sw_conf_part *p, bool on);

/* Short tones the whole room hears. */
enum sw_conf_tone { SW_CONF_JOIN_TONE, SW_CONF_LEAVE_TONE, SW_CONF_LOCK_TONE };
void sw_conf_tone(struct sw_conf_room *r, enum sw_conf_tone t);

/* Counters for /metrics. */
struct sw_conf_stats {
    uint64_t ticks; /* ticks run */
    uint64_t late;  /* frames whose tick did not run in their 20 ms */
    uint64_t rooms, participants;
    uint64_t recordings; /* recording files opened */
    uint64_t record_errors;
};
void sw_conf_stats(const struct bh_switch *sw, struct sw_conf_stats *st);

/* Recordings made since the switch started, for /recordings. */
struct sw_conf_recording {
    char path[BH_CDR_PATH_MAX];
    char label[2 * BH_SC_MAX_NAME];
    char caller[BH_SC_MAX_NAME]; /* a call's recording: who called, */
    char number[BH_SC_MAX_NAME]; /* and what; "" for a bridge's room */
    double start, end; /* s since the switch started; end -1 while open */
    uint64_t samples;  /* written so far */
    int error;         /* a write failed (disk full ...) */
};
/* The recordings in the order they began; *n of them. Valid until the
 * next room is created. */
const struct sw_conf_recording *sw_conf_recordings(const struct bh_switch *sw,
                                                   size_t *n);

/* switch.c: frees what is left (after the services' fini). */
void sw_conf_fini(struct bh_switch *sw);

#endif
