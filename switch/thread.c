/* thread.c: the switch in a thread of its own, on an event_base of its
 * own: start (returns once the loop runs) and a clean stop that joins. */
#include "internal.h"

#include <signal.h>
#include <stdio.h>

/* The first thing the loop does: tell the starting thread it runs. */
static void
on_running(evutil_socket_t fd, short what, void *arg) {
    struct bh_switch *sw = arg;
    pthread_mutex_lock(&sw->thread_mu);
    sw->thread_running = 1;
    pthread_cond_signal(&sw->thread_cv);
    pthread_mutex_unlock(&sw->thread_mu);
}

static void *
loop_main(void *arg) {
    struct bh_switch *sw = arg;
    struct event *running = evtimer_new(sw->base, on_running, sw);
    if (running)
        event_active(running, EV_TIMEOUT, 0);
    else
        on_running(-1, 0, sw); /* out of memory: say so at once */
    /* Until on_stop_timer breaks it. */
    sw->thread_rc = event_base_dispatch(sw->base) < 0 ? BH_EIO : 0;
    if (running)
        event_free(running);
    return NULL;
}

int
bh_switch_start_thread(const struct bh_sc_switch *cfg,
                       const struct bh_switch_options *opt,
                       struct bh_switch **out, char *err, size_t errlen) {
    *out = NULL;
    struct event_base *base = event_base_new();
    if (!base) {
        snprintf(err, errlen, "out of memory");
        return BH_ENOMEM;
    }
    struct bh_switch *sw = NULL;
    int rc = bh_switch_new(cfg, opt, base, &sw, err, errlen);
    if (rc < 0) {
        event_base_free(base);
        return rc;
    }
    sw->own_base = base;
    pthread_mutex_init(&sw->thread_mu, NULL);
    pthread_cond_init(&sw->thread_cv, NULL);
    sw->thread_sync = 1;
    /* The new thread inherits a mask that blocks every signal: a process
     * signal then goes to one of the owner's threads, whose handlers
     * decide, and a SIGPIPE raised by a write on this thread stays pending
     * there instead of killing the process. pthread_sigmask changes only
     * the calling thread, and it is restored at once. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    sw->thread_started = 1; /* before the thread reads it */
    int prc = pthread_create(&sw->thread, NULL, loop_main, sw);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        sw->thread_started = 0;
        snprintf(err, errlen, "cannot start the switch's thread");
        bh_switch_free(sw);
        return BH_EIO;
    }
    pthread_mutex_lock(&sw->thread_mu);
    while (!sw->thread_running)
        pthread_cond_wait(&sw->thread_cv, &sw->thread_mu);
    pthread_mutex_unlock(&sw->thread_mu);
    *out = sw;
    return 0;
}

int
bh_switch_stop_thread(struct bh_switch *sw) {
    if (!sw->thread_started || sw->thread_joined)
        return BH_ESTATE;
    bh_switch_stop(sw);
    pthread_join(sw->thread, NULL);
    sw->thread_joined = 1;
    return sw->thread_rc;
}

/* Called by bh_switch_free once the thread is joined (or never ran). */
void
sw_thread_fini(struct bh_switch *sw) {
    if (!sw->thread_sync)
        return;
    pthread_cond_destroy(&sw->thread_cv);
    pthread_mutex_destroy(&sw->thread_mu);
    sw->thread_sync = 0;
}
