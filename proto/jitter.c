/* jitter.c: adaptive jitter buffer for constant-ptime audio frames. */
#include "proto.h"

#include <string.h>

/* Pulls in a row with more frames held than the target before one frame
 * is dropped to shrink the delay (50 pulls = 1 s at 20 ms). */
#define SHRINK_AFTER 50

int
bh_jitter_init(struct bh_jitter *jb, uint32_t frame_ts, uint32_t min_frames,
               uint32_t max_frames) {
    if (frame_ts == 0 || min_frames == 0 || min_frames > max_frames ||
        max_frames > BH_JITTER_SLOTS / 2)
        return BH_EINVAL;
    memset(jb, 0, sizeof *jb);
    jb->frame_ts = frame_ts;
    jb->min_frames = min_frames;
    jb->max_frames = max_frames;
    jb->target_frames = min_frames;
    return 0;
}

static void
flush(struct bh_jitter *jb) {
    memset(jb->used, 0, sizeof jb->used);
    jb->depth = 0;
    jb->started = 0;
    jb->have_next = 0;
}

/* target = 3 * jitter + one frame, in whole frames, within [min, max]. */
static void
retarget(struct bh_jitter *jb) {
    double want = (3.0 * jb->jitter + jb->frame_ts) / jb->frame_ts;
    uint32_t t = (uint32_t)want;
    if ((double)t < want)
        t++;
    if (t < jb->min_frames)
        t = jb->min_frames;
    if (t > jb->max_frames)
        t = jb->max_frames;
    /* Growing takes effect when the buffer next fills (at the start or
     * after an underrun); shrinking by dropping frames (bh_jitter_get). */
    jb->target_frames = t;
}

int
bh_jitter_put(struct bh_jitter *jb, const struct bh_rtp_hdr *h,
              uint32_t arrival) {
    if (h->payload_len > BH_JITTER_FRAME_MAX)
        return BH_ETOOBIG;
    /* RFC 3550 A.8 estimate drives the target delay. */
    int64_t transit = (int64_t)(int32_t)(arrival - h->ts);
    if (jb->have_transit) {
        int64_t d = (int64_t)(int32_t)(uint32_t)(transit - jb->transit);
        if (d < 0)
            d = -d;
        jb->jitter += ((double)d - jb->jitter) / 16.0;
    }
    jb->transit = transit;
    jb->have_transit = 1;

    if (!jb->have_next) {
        jb->have_next = 1;
        jb->next_seq = h->seq;
        jb->high_seq = h->seq;
    } else {
        int32_t d = bh_rtp_seq_diff(h->seq, jb->next_seq);
        if (d < 0) {
            if (jb->started || jb->stats.played > 0 || jb->stats.lost > 0) {
                jb->stats.late++;
                return 1;
            }
            /* Nothing played yet: an earlier packet came in late. */
            if (bh_rtp_seq_diff(jb->high_seq, h->seq) >= BH_JITTER_SLOTS) {
                jb->stats.late++;
                return 1;
            }
            jb->next_seq = h->seq;
        } else if (d >= BH_JITTER_SLOTS) {
            /* Far ahead: the source jumped; start over from here. */
            jb->stats.overflow++;
            flush(jb);
            jb->have_next = 1;
            jb->next_seq = h->seq;
            jb->high_seq = h->seq;
        }
    }
    size_t i = h->seq % BH_JITTER_SLOTS;
    if (jb->used[i]) {
        if (jb->slot[i].seq == h->seq) {
            jb->stats.duplicate++;
            return 1;
        }
        jb->used[i] = 0; /* stale leftover */
        jb->depth--;
    }
    if (bh_rtp_seq_diff(h->seq, jb->high_seq) < 0)
        jb->stats.reordered++;
    else
        jb->high_seq = h->seq;
    struct bh_jitter_frame *f = &jb->slot[i];
    f->seq = h->seq;
    f->ts = h->ts;
    f->pt = h->pt;
    f->marker = h->marker;
    f->len = h->payload_len;
    if (h->payload_len > 0)
        memcpy(f->data, h->payload, h->payload_len);
    jb->used[i] = 1;
    jb->depth++;
    jb->stats.pushed++;
    retarget(jb);
    return 0;
}

enum bh_jitter_result
bh_jitter_get(struct bh_jitter *jb, struct bh_jitter_frame *out) {
    if (!jb->have_next)
        return BH_JITTER_EMPTY;
    if (!jb->started) {
        int32_t span = bh_rtp_seq_diff(jb->high_seq, jb->next_seq) + 1;
        if (jb->depth == 0 || span < (int32_t)jb->target_frames)
            return BH_JITTER_EMPTY;
        jb->started = 1;
        jb->over_count = 0;
    }
    if (jb->depth == 0) {
        /* Underrun: wait for the buffer to refill to a larger target. */
        jb->stats.underruns++;
        jb->started = 0;
        return BH_JITTER_EMPTY;
    }
    /* Shrink: too much delay for a while, drop the oldest frame. */
    if (jb->depth > jb->target_frames + 1) {
        if (++jb->over_count >= SHRINK_AFTER) {
            size_t i = jb->next_seq % BH_JITTER_SLOTS;
            if (jb->used[i] && jb->slot[i].seq == jb->next_seq) {
                jb->used[i] = 0;
                jb->depth--;
                jb->stats.dropped++;
                jb->next_seq++;
            }
            jb->over_count = 0;
        }
    } else {
        jb->over_count = 0;
    }
    size_t i = jb->next_seq % BH_JITTER_SLOTS;
    if (jb->used[i] && jb->slot[i].seq == jb->next_seq) {
        const struct bh_jitter_frame *f = &jb->slot[i];
        out->seq = f->seq;
        out->ts = f->ts;
        out->pt = f->pt;
        out->marker = f->marker;
        out->len = f->len;
        memcpy(out->data, f->data, f->len); /* only the bytes used */
        jb->used[i] = 0;
        jb->depth--;
        jb->next_seq++;
        jb->stats.played++;
        return BH_JITTER_FRAME;
    }
    jb->stats.lost++;
    jb->next_seq++;
    return BH_JITTER_LOST;
}
