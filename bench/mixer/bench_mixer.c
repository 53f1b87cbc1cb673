/* bench_mixer.c: the conference mixer's tick alone, without sockets: (a)
 * rooms of 4 with everyone talking, (b) one room of 1,000 with 3 talkers.
 * Prints CPU time per participant and frame, the participants one core
 * could mix at 20 ms from that, and a real-time run paced at 20 ms that
 * counts late ticks. The socket benchmark (RTP in and out through the
 * kernel) comes with the bridge in the switch. */
#include "proto.h"
#include "switch.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME BH_MIXER_FRAME
#define PKT (BH_MIXER_HEADER + FRAME)
#define CYCLE 50 /* frames of each tone, one second, repeated */
#define TONES 4  /* distinct talkers' tones */
#define SILENT TONES

/* Packets of one stream: each talker of a kind sends the same bytes (its
 * own jitter buffer, its own mixer state), which keeps the benchmark's
 * memory out of the figures. stream[TONES] is silence. */
struct streams {
    uint8_t payload[TONES + 1][CYCLE][FRAME];
    uint8_t pkt[TONES + 1][PKT];
};

static void
streams_init(struct streams *s) {
    static const double freq[TONES] = {300, 500, 700, 900};
    int16_t pcm[FRAME];
    for (int k = 0; k <= TONES; k++) {
        for (int f = 0; f < CYCLE; f++) {
            for (int i = 0; i < FRAME; i++)
                pcm[i] =
                    k == SILENT
                        ? 0
                        : (int16_t)lrint(4000 * sin(2 * M_PI * freq[k] *
                                                    (f * FRAME + i) / 8000.0));
            bh_g711_encode(BH_RTP_PT_PCMU, pcm, s->payload[k][f], FRAME);
        }
    }
}

/* The packets of frame f. */
static void
streams_frame(struct streams *s, int f) {
    for (int k = 0; k <= TONES; k++) {
        struct bh_rtp_hdr h = {.version = 2,
                               .pt = BH_RTP_PT_PCMU,
                               .seq = (uint16_t)f,
                               .ts = (uint32_t)f * FRAME,
                               .ssrc = 0x5000u + (uint32_t)k};
        bh_rtp_build(s->pkt[k], PKT, &h, s->payload[k][f % CYCLE], FRAME);
    }
}

struct conf {
    struct bh_mixer *m;
    struct bh_mixer_part **part;
    int *kind; /* stream each participant sends */
    int n;
};

/* n participants in rooms of `size`; `talkers` of each room talk. */
static struct conf *
conf_new(int n, int size, int talkers) {
    struct conf *c = calloc(1, sizeof *c);
    if (c) {
        c->part = calloc((size_t)n, sizeof *c->part);
        c->kind = calloc((size_t)n, sizeof *c->kind);
    }
    if (!c || !c->part || !c->kind || bh_mixer_new(NULL, &c->m)) {
        fprintf(stderr, "bench_mixer: out of memory\n");
        exit(1);
    }
    struct bh_mixer_room *room = NULL;
    for (int i = 0; i < n; i++) {
        int seat = i % size;
        if (seat == 0 && bh_mixer_room_new(c->m, NULL, false, &room))
            exit(1);
        struct bh_mixer_join j = {&c->kind[i], BH_RTP_PT_PCMU,
                                  (uint32_t)i * 7919u, (uint16_t)i,
                                  (uint32_t)i * 104729u};
        if (bh_mixer_join(room, &j, &c->part[i])) {
            fprintf(stderr, "bench_mixer: join failed at %d\n", i);
            exit(1);
        }
        c->kind[i] = seat < talkers ? seat % TONES : SILENT;
    }
    c->n = n;
    return c;
}

static void
conf_free(struct conf *c) {
    bh_mixer_free(c->m);
    free(c->part);
    free(c->kind);
    free(c);
}

static double
cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double
mono_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Frame f: every participant's packet arrives (at the frame's time), then
 * the tick. Adds the CPU seconds of each half to *put and *tick. */
static size_t
frame(struct conf *c, struct streams *s, int f, double now, double *put,
      double *tick) {
    streams_frame(s, f);
    double t0 = cpu_now();
    for (int i = 0; i < c->n; i++)
        bh_mixer_put(c->part[i], s->pkt[c->kind[i]], PKT, now - 0.001);
    double t1 = cpu_now();
    struct bh_mixer_output out;
    bh_mixer_tick(c->m, now, &out);
    double t2 = cpu_now();
    *put += t1 - t0;
    *tick += t2 - t1;
    return out.npackets;
}

/* As fast as it goes: CPU per participant and frame. */
static void
throughput(const char *name, int n, int size, int talkers, int frames) {
    struct conf *c = conf_new(n, size, talkers);
    static struct streams s;
    streams_init(&s);
    double put = 0, tick = 0, p0 = 0, k0 = 0;
    size_t pk = 0;
    for (int f = 0; f < frames + 50; f++) {
        if (f == 50) { /* jitter buffers filled, caches warm */
            p0 = put;
            k0 = tick;
        }
        size_t got = frame(c, &s, f, f * BH_MIXER_PTIME, &put, &tick);
        if (f >= 50)
            pk += got;
    }
    put -= p0;
    tick -= k0;
    struct bh_mixer_stats st;
    bh_mixer_stats(c->m, &st);
    double per = (put + tick) / frames / n;
    printf("mixer case=%s participants=%d frames=%d packets=%zu "
           "put_ns=%.1f tick_ns=%.1f cpu_ms_per_frame=%.3f "
           "participants_per_core_20ms=%.0f mixed_per_frame=%.1f "
           "encodes_per_frame=%.1f\n",
           name, n, frames, pk, put / frames / n * 1e9, tick / frames / n * 1e9,
           (put + tick) / frames * 1e3, BH_MIXER_PTIME / per,
           (double)st.mixed / st.ticks, (double)st.encodes / st.ticks);
    conf_free(c);
}

static int
cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Paced at 20 ms by absolute sleeps: a tick is late when its frame is
 * done more than 20 ms after the frame's scheduled time (it missed its
 * slot), whether the work took too long (an overrun) or the thread woke
 * too late (wake lag: the scheduler, or a virtual machine's host).
 * Drift-corrected: the schedule is start + k * 20 ms, whatever each tick
 * took. */
static void
realtime(const char *name, int n, int size, int talkers, double seconds) {
    struct conf *c = conf_new(n, size, talkers);
    static struct streams s;
    streams_init(&s);
    int frames = (int)(seconds / BH_MIXER_PTIME);
    double *work = malloc(sizeof *work * (size_t)frames);
    double *lag = malloc(sizeof *lag * (size_t)frames);
    if (!work || !lag)
        exit(1);
    double start = mono_now() + 0.05, put = 0, tick = 0;
    int late = 0, overrun = 0;
    for (int f = 0; f < frames; f++) {
        double due = start + f * BH_MIXER_PTIME;
        struct timespec ts = {(time_t)due, (long)((due - floor(due)) * 1e9)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
               EINTR)
            ;
        double t0 = mono_now();
        frame(c, &s, f, due, &put, &tick);
        double t1 = mono_now();
        work[f] = t1 - t0;
        lag[f] = t0 - due;
        if (t1 > due + BH_MIXER_PTIME)
            late++;
        if (t1 - t0 > BH_MIXER_PTIME)
            overrun++;
    }
    qsort(work, (size_t)frames, sizeof *work, cmp);
    qsort(lag, (size_t)frames, sizeof *lag, cmp);
    printf("realtime case=%s participants=%d seconds=%.0f ticks=%d late=%d "
           "late_pct=%.3f overrun=%d tick_ms_p50=%.3f tick_ms_p99=%.3f "
           "tick_ms_max=%.3f wake_lag_ms_p50=%.3f wake_lag_ms_p99=%.3f "
           "wake_lag_ms_max=%.3f cpu_share=%.3f\n",
           name, n, seconds, frames, late, 100.0 * late / frames, overrun,
           work[frames / 2] * 1e3, work[frames * 99 / 100] * 1e3,
           work[frames - 1] * 1e3, lag[frames / 2] * 1e3,
           lag[frames * 99 / 100] * 1e3, lag[frames - 1] * 1e3,
           (put + tick) / seconds);
    free(work);
    free(lag);
    conf_free(c);
}

/* bench_mixer [SECONDS] [--fifo]: SECONDS of each real-time run (10);
 * --fifo runs them at SCHED_FIFO priority 10, as a media mixer would be
 * run, so that late ticks count the mixer's work, not the wait for a
 * shared core. */
int
main(int argc, char **argv) {
    double seconds = 10;
    const char *policy = "other";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fifo") == 0) {
            struct sched_param sp = {.sched_priority = 10};
            policy = sched_setscheduler(0, SCHED_FIFO, &sp) == 0
                         ? "fifo"
                         : "other (SCHED_FIFO refused)";
        } else {
            seconds = atof(argv[i]);
        }
    }
    if (seconds < 1)
        seconds = 1;
    printf("# busyhour mixer benchmark: bh_mixer_put of every participant's "
           "20 ms PCMU packet + bh_mixer_tick, thread CPU time; no sockets; "
           "scheduling %s\n",
           policy);
    throughput("rooms-of-4", 400, 4, 4, 500);
    throughput("rooms-of-4", 2000, 4, 4, 500);
    throughput("rooms-of-4", 5000, 4, 4, 250);
    throughput("rooms-of-4", 10000, 4, 4, 100);
    throughput("room-of-1000-3-talkers", 1000, 1000, 3, 500);
    realtime("rooms-of-4", 5000, 4, 4, seconds);
    realtime("room-of-1000-3-talkers", 1000, 1000, 3, seconds);
    return 0;
}
