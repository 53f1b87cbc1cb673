/* operator.c: the queues' operators as SIP user agents servers: static
 * contacts listening on their address, or the scenario's accounts
 * registering with digest (RFC 3261 10, 22; the reference switch uses
 * account k for position k of a queue without enough contacts). An
 * operator rings briefly, answers with an SDP answer, talks (RTP both
 * ways, the caller's stream measured: what the caller's audio sounded
 * like through the switch), and hangs up after the holding time of the
 * caller it was given, found by the caller's user name that the switch
 * passes in From or Subject. */
#include "driver_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSG_MAX 4096

/* ---- sockets ---------------------------------------------------------- */

static void on_sip(evutil_socket_t fd, short what, void *arg);

/* The opsock bound to host:port (an empty host: our address, any port),
 * opened on first use. Returns its index or < 0 with diag. */
static int
opsock(struct bh_driver *d, const char *ip, uint16_t port,
       struct bh_diag *diag) {
    for (size_t i = 0; ip && i < d->nopsocks; i++) {
        struct drv_opsock *s = &d->opsocks[i];
        if (s->port == port && strcmp(s->host, ip) == 0)
            return (int)i;
    }
    struct drv_opsock *v =
        realloc(d->opsocks, (d->nopsocks + 1) * sizeof *d->opsocks);
    if (!v)
        return BH_ENOMEM;
    d->opsocks = v;
    struct drv_opsock *s = &v[d->nopsocks];
    memset(s, 0, sizeof *s);
    const char *bind_ip = ip ? ip : d->local_ip;
    s->fd = drv_udp_open(bind_ip, port, &s->addr, &s->len);
    if (s->fd < 0) {
        bh_diag_set(diag, 0, 0,
                    "operator %s:%u: cannot listen: %s (the driver answers "
                    "as the queue's operators; a switch elsewhere needs "
                    "--no-operators)",
                    bind_ip, port, strerror(errno));
        return errno == EINVAL ? BH_EINVAL : BH_EIO;
    }
    int sz = 4 << 20;
    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    s->port = drv_port(&s->addr);
    snprintf(s->host, sizeof s->host,
             s->addr.ss_family == AF_INET6 ? "[%s]" : "%s", bind_ip);
    s->d = d;
    s->index = (int)d->nopsocks;
    d->nopsocks++;
    return (int)(d->nopsocks - 1);
}

/* "sip:user@IP:port" of a static contact. */
static int
contact_parts(const char *uri, char *user, size_t ulen, char *ip, size_t iplen,
              uint16_t *port) {
    struct bh_sip_uri u;
    if (bh_sip_uri_parse(bh_str_make(uri, strlen(uri)), &u) < 0 ||
        u.scheme != BH_URI_SIP || !u.has_port || u.user.len >= ulen ||
        u.host.len >= iplen)
        return BH_EINVAL;
    snprintf(user, ulen, "%.*s", (int)u.user.len, u.user.p);
    struct bh_str h = u.host;
    if (h.len >= 2 && h.p[0] == '[') {
        h.p++;
        h.len -= 2;
    }
    snprintf(ip, iplen, "%.*s", (int)h.len, h.p);
    *port = u.port;
    return 0;
}

static void on_op_timer(evutil_socket_t fd, short what, void *arg);
static void on_reg_timer(evutil_socket_t fd, short what, void *arg);

/* The carrier's lines: UAS on the trunk's gateway address (as many as
 * the trunk has lines, and a few for strays). */
static int
carrier_new(struct bh_driver *d, size_t lines, struct bh_diag *diag) {
    const struct bh_sc_trunk *t = &d->sc->sw.trunk;
    char user[8], ip[64];
    uint16_t port;
    if (contact_parts(t->gateway, user, sizeof user, ip, sizeof ip, &port)) {
        bh_diag_set(diag, 0, 0, "trunk gateway %s: need sip:IP:port",
                    t->gateway);
        return BH_EINVAL;
    }
    int s = opsock(d, ip, port, diag);
    if (s < 0) {
        bh_diag_set(diag, 0, 0,
                    "carrier %s: cannot listen: %s (the driver answers as "
                    "the trunk's carrier; a gateway elsewhere needs "
                    "--no-carrier)",
                    t->gateway, strerror(errno));
        return s;
    }
    d->carrier_sock = s;
    for (size_t k = 0; k < lines; k++) {
        struct drv_op *op = &d->ops[d->nops];
        memset(op, 0, sizeof *op);
        op->d = d;
        op->number = -1;
        op->pos = (int)k;
        op->account = -1;
        op->carrier = 1;
        op->m.fd = -1;
        op->sock = s;
        snprintf(op->user, sizeof op->user, "carrier");
        evtimer_assign(&op->timer, d->base, on_op_timer, op);
        evtimer_assign(&op->reg_timer, d->base, on_reg_timer, op);
        d->nops++;
    }
    for (size_t i = 0; i < d->sc->nsources && !d->campaign; i++)
        if (d->sc->sources[i].kind == BH_SOURCE_CAMPAIGN)
            d->campaign = &d->sc->sources[i];
    d->carrier_rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!d->carrier_rng)
        return BH_ENOMEM;
    gsl_rng_set(d->carrier_rng, (unsigned long)(d->opt.seed ^ 0xca77e7u));
    return 0;
}

int
drv_ops_new(struct bh_driver *d, struct bh_diag *diag) {
    const struct bh_sc_switch *sw = &d->sc->sw;
    size_t n = 0;
    for (size_t i = 0; !d->opt.no_operators && i < sw->nnumbers; i++) {
        const struct bh_sc_queue *q = &sw->numbers[i].queue;
        if (q->present)
            n += q->ncontacts > 0 ? q->ncontacts : (size_t)q->operators;
    }
    size_t carrier = sw->trunk.present && !d->opt.no_carrier
                         ? (size_t)sw->trunk.lines + DRV_CARRIER_SPARE
                         : 0;
    d->reg_sock = -1;
    d->carrier_sock = -1;
    if (n + carrier == 0)
        return 0;
    d->ops = calloc(n + carrier, sizeof *d->ops);
    if (!d->ops)
        return BH_ENOMEM;
    for (size_t i = 0; !d->opt.no_operators && i < sw->nnumbers; i++) {
        const struct bh_sc_queue *q = &sw->numbers[i].queue;
        if (!q->present)
            continue;
        size_t k_max = q->ncontacts > 0 ? q->ncontacts : (size_t)q->operators;
        for (size_t k = 0; k < k_max; k++) {
            struct drv_op *op = &d->ops[d->nops];
            memset(op, 0, sizeof *op);
            op->d = d;
            op->number = (int)i;
            op->pos = (int)k;
            op->account = -1;
            op->m.fd = -1;
            if (k < q->ncontacts) {
                char ip[64];
                uint16_t port;
                if (contact_parts(q->contacts[k], op->user, sizeof op->user, ip,
                                  sizeof ip, &port)) {
                    bh_diag_set(diag, 0, 0,
                                "operator contact %s: need sip:user@IP:port",
                                q->contacts[k]);
                    return BH_EINVAL;
                }
                int s = opsock(d, ip, port, diag);
                if (s < 0)
                    return s;
                op->sock = s;
            } else if (k < sw->naccounts) {
                /* the switch rings account k for position k */
                op->account = (int)k;
                snprintf(op->user, sizeof op->user, "%s", sw->accounts[k].user);
                if (d->reg_sock < 0) {
                    d->reg_sock = opsock(d, NULL, 0, diag);
                    if (d->reg_sock < 0)
                        return d->reg_sock;
                }
                op->sock = d->reg_sock;
            } else {
                continue; /* the switch has nobody at this position */
            }
            evtimer_assign(&op->timer, d->base, on_op_timer, op);
            evtimer_assign(&op->reg_timer, d->base, on_reg_timer, op);
            d->nops++;
        }
    }
    if (carrier) {
        int rc = carrier_new(d, carrier, diag);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < d->nopsocks; i++) {
        struct drv_opsock *s = &d->opsocks[i];
        /* the array is final now: its addresses are the events' args */
        event_assign(&s->ev, d->base, s->fd, EV_READ | EV_PERSIST, on_sip, s);
        event_add(&s->ev, NULL);
        s->ev_added = 1;
    }
    return 0;
}

void
drv_ops_free(struct bh_driver *d) {
    if (d->reg_wait_on)
        evtimer_del(&d->reg_wait);
    d->reg_wait_on = 0;
    for (size_t i = 0; i < d->nops; i++) {
        struct drv_op *op = &d->ops[i];
        evtimer_del(&op->timer);
        evtimer_del(&op->reg_timer);
        drv_media_close(&op->m);
        free(op->invite);
        free(op->final);
    }
    free(d->ops);
    d->ops = NULL;
    if (d->carrier_rng)
        gsl_rng_free(d->carrier_rng);
    d->carrier_rng = NULL;
    for (size_t i = 0; i < d->nopsocks; i++) {
        if (d->opsocks[i].ev_added)
            event_del(&d->opsocks[i].ev);
        close(d->opsocks[i].fd);
    }
    free(d->opsocks);
    d->opsocks = NULL;
    d->nops = d->nopsocks = 0;
}

static void
op_send(struct drv_op *op, const char *buf, size_t len,
        const struct sockaddr *to, socklen_t tolen) {
    struct bh_driver *d = op->d;
    int fd = d->opsocks[op->sock].fd;
    if (sendto(fd, buf, len, 0, to, tolen) == (ssize_t)len) {
        d->st.sip_sent++;
        drv_packet(d, 0, to, tolen, fd, buf, len);
    }
}

/* ---- registration ---------------------------------------------------------
 */

static void
send_register(struct drv_op *op, const struct bh_sip_msg *challenge) {
    struct bh_driver *d = op->d;
    const struct drv_opsock *s = &d->opsocks[op->sock];
    const struct bh_sc_account *acc = &d->sc->sw.accounts[op->account];
    char msg[MSG_MAX], branch[BH_SIP_TOKEN_MAX], uri[DRV_URI_MAX],
        aor[DRV_URI_MAX];
    if (!op->reg_call_id[0]) {
        snprintf(op->reg_call_id, sizeof op->reg_call_id, "r%016llx@bh",
                 (unsigned long long)drv_random(d));
        bh_sip_make_tag(op->reg_tag, drv_random(d));
    }
    bh_sip_make_branch(branch, drv_random(d));
    snprintf(uri, sizeof uri, "sip:%s:%u", d->target_host, d->target_port);
    snprintf(aor, sizeof aor, "sip:%s@%s", op->user, d->target_host);
    struct bh_sip_builder b;
    bh_sip_build_init(&b, msg, sizeof msg);
    bh_sip_build_request(&b, BH_SIP_REGISTER, NULL,
                         bh_str_make(uri, strlen(uri)));
    bh_sip_build_via(&b, "UDP", bh_str_make(s->host, strlen(s->host)), s->port,
                     bh_str_make(branch, strlen(branch)), 1);
    bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
    bh_sip_build_nameaddr(&b, "From", BH_STR_NULL,
                          bh_str_make(aor, strlen(aor)),
                          bh_str_make(op->reg_tag, strlen(op->reg_tag)));
    bh_sip_build_nameaddr(&b, "To", BH_STR_NULL, bh_str_make(aor, strlen(aor)),
                          BH_STR_NULL);
    bh_sip_build_header(&b, "Call-ID",
                        bh_str_make(op->reg_call_id, strlen(op->reg_call_id)));
    bh_sip_build_cseq(&b, ++op->reg_cseq, BH_SIP_REGISTER, NULL);
    char ct[DRV_URI_MAX];
    snprintf(ct, sizeof ct, "sip:%s@%s:%u", op->user, s->host, s->port);
    bh_sip_build_nameaddr(&b, "Contact", BH_STR_NULL,
                          bh_str_make(ct, strlen(ct)), BH_STR_NULL);
    bh_sip_build_headerf(&b, "Expires", "%d", DRV_REG_EXPIRES);
    if (challenge) {
        /* RFC 8760 2.4: the first challenge we can answer (the switch
         * offers SHA-256, then MD5) */
        const struct bh_sip_header *h = NULL;
        struct bh_digest_challenge ch;
        int ok = 0;
        while (!ok && (h = bh_sip_header_find(challenge, "WWW-Authenticate",
                                              h)) != NULL)
            ok = bh_digest_parse_challenge(h->value, &ch) == 0;
        if (ok) {
            char cred[1024], cnonce[BH_SIP_TOKEN_MAX];
            bh_sip_make_tag(cnonce, drv_random(d));
            int n = bh_digest_build_credentials(
                cred, sizeof cred, &ch,
                bh_str_make(acc->user, strlen(acc->user)),
                bh_str_make(acc->password, strlen(acc->password)),
                BH_STR_LIT("REGISTER"), bh_str_make(uri, strlen(uri)),
                bh_str_make(cnonce, strlen(cnonce)), 1);
            if (n > 0)
                bh_sip_build_header(&b, "Authorization",
                                    bh_str_make(cred, (size_t)n));
        }
    }
    int len = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    if (len > 0)
        op_send(op, msg, (size_t)len, (struct sockaddr *)&d->target,
                d->target_len);
    /* retransmitted (timer E at T1) until answered, at most DRV_REG_WAIT */
    struct timeval tv = {0, (suseconds_t)(DRV_T1 * 1e6)};
    evtimer_add(&op->reg_timer, &tv);
}

static void
on_reg_timer(evutil_socket_t fd, short what, void *arg) {
    struct drv_op *op = arg;
    (void)fd;
    (void)what;
    /* a retransmission (no answer yet) or the refresh of a binding */
    op->reg_auth_tries = 0;
    send_register(op, NULL);
}

static void
registered(struct drv_op *op, int ok) {
    struct bh_driver *d = op->d;
    evtimer_del(&op->reg_timer);
    if (ok) {
        if (!op->registered && d->registering > 0)
            d->registering--;
        op->registered = 1;
        /* refresh at half the binding */
        struct timeval tv = {DRV_REG_EXPIRES / 2, 0};
        evtimer_add(&op->reg_timer, &tv);
    }
    if (d->registering == 0 && !d->started)
        drv_start_arrivals(d);
}

static void
register_response(struct drv_op *op, const struct bh_sip_msg *m) {
    struct bh_driver *d = op->d;
    if (m->status < 200)
        return;
    if (m->status == 401 && op->reg_auth_tries++ < 2) {
        evtimer_del(&op->reg_timer);
        send_register(op, m);
        return;
    }
    if (m->status < 300) {
        registered(op, 1);
        return;
    }
    /* refused: the run cannot have this operator */
    evtimer_del(&op->reg_timer);
    fprintf(stderr, "busyhour load: operator account %s: REGISTER got %d\n",
            op->user, m->status);
    if (!d->started) {
        d->rc = BH_EIO;
        d->st.aborted = 1;
        d->done = 1;
        event_base_loopbreak(d->base);
    }
}

static void
on_reg_wait(evutil_socket_t fd, short what, void *arg) {
    struct bh_driver *d = arg;
    (void)fd;
    (void)what;
    if (d->started)
        return;
    for (size_t i = 0; i < d->nops; i++)
        if (d->ops[i].account >= 0 && !d->ops[i].registered)
            fprintf(stderr,
                    "busyhour load: operator account %s: no answer to "
                    "REGISTER in %.0f s\n",
                    d->ops[i].user, DRV_REG_WAIT);
    d->rc = BH_EIO;
    d->st.aborted = 1;
    d->done = 1;
    event_base_loopbreak(d->base);
}

void
drv_ops_register(struct bh_driver *d) {
    d->registering = 0;
    for (size_t i = 0; i < d->nops; i++)
        if (d->ops[i].account >= 0)
            d->registering++;
    if (d->registering == 0)
        return;
    evtimer_assign(&d->reg_wait, d->base, on_reg_wait, d);
    struct timeval tv = {(time_t)DRV_REG_WAIT, 0};
    evtimer_add(&d->reg_wait, &tv);
    d->reg_wait_on = 1;
    for (size_t i = 0; i < d->nops; i++)
        if (d->ops[i].account >= 0)
            send_register(&d->ops[i], NULL);
}

/* ---- a call to an operator ------------------------------------------------
 */

struct drv_call *
drv_call_by_user(struct bh_driver *d, struct bh_str user) {
    char buf[DRV_USER_MAX];
    if (user.len == 0 || user.len >= sizeof buf)
        return NULL;
    memcpy(buf, user.p, user.len);
    buf[user.len] = 0;
    unsigned slot, gen;
    char tail;
    if (sscanf(buf, "c%u.%u%c", &slot, &gen, &tail) != 2 || slot >= d->ncalls)
        return NULL;
    struct drv_call *c = d->calls[slot];
    return c->state != CALL_FREE && c->gen == gen ? c : NULL;
}

struct drv_call *
drv_call_by_dialled(struct bh_driver *d, struct bh_str user) {
    size_t pl = strlen(d->dial_prefix);
    size_t want = pl + DRV_DIAL_SLOT_DIGITS + 3;
    if (d->dial_account < 0 || user.len != want ||
        memcmp(user.p, d->dial_prefix, pl) != 0)
        return NULL;
    uint64_t v = 0;
    for (size_t i = pl; i < user.len; i++) {
        if (user.p[i] < '0' || user.p[i] > '9')
            return NULL;
        v = v * 10 + (uint64_t)(user.p[i] - '0');
    }
    uint64_t slot = v / DRV_DIAL_GEN_MOD, gen = v % DRV_DIAL_GEN_MOD;
    if (slot >= d->ncalls)
        return NULL;
    struct drv_call *c = d->calls[slot];
    return c->state != CALL_FREE && c->campaign &&
                   c->gen % DRV_DIAL_GEN_MOD == gen
               ? c
               : NULL;
}

/* The caller this INVITE is for: the From user (a proxy passes it), or
 * the last word of the reference switch's "Subject: NUMBER caller USER". */
static struct drv_call *
tie(struct bh_driver *d, const struct bh_sip_msg *m) {
    struct drv_call *c = drv_call_by_user(d, m->from.uri.user);
    if (c)
        return c;
    const struct bh_sip_header *h = bh_sip_header_find(m, "Subject", NULL);
    if (!h)
        return NULL;
    size_t i = h->value.len;
    while (i > 0 && h->value.p[i - 1] != ' ')
        i--;
    return drv_call_by_user(d, bh_str_make(h->value.p + i, h->value.len - i));
}

static struct drv_op *
op_by_user(struct bh_driver *d, int sock, struct bh_str user) {
    for (size_t i = 0; i < d->nops; i++)
        if (d->ops[i].sock == sock && bh_str_eq(user, d->ops[i].user))
            return &d->ops[i];
    return NULL;
}

static struct drv_op *
op_by_call(struct bh_driver *d, int sock, struct bh_str call_id) {
    for (size_t i = 0; i < d->nops; i++)
        if (d->ops[i].sock == sock && d->ops[i].state != OP_IDLE &&
            bh_str_eq(call_id, d->ops[i].call_id))
            return &d->ops[i];
    return NULL;
}

/* The carrier's line of this INVITE (a retransmission's), else an idle
 * line; NULL when every line is taken (486). */
static struct drv_op *
carrier_line(struct bh_driver *d, int sock, struct bh_str call_id) {
    struct drv_op *op = op_by_call(d, sock, call_id);
    for (size_t i = 0; !op && i < d->nops; i++)
        if (d->ops[i].carrier && d->ops[i].state == OP_IDLE)
            op = &d->ops[i];
    return op;
}

static struct drv_op *
op_by_reg(struct bh_driver *d, int sock, struct bh_str call_id) {
    for (size_t i = 0; i < d->nops; i++)
        if (d->ops[i].sock == sock && d->ops[i].reg_call_id[0] &&
            bh_str_eq(call_id, d->ops[i].reg_call_id))
            return &d->ops[i];
    return NULL;
}

/* Answers request m (from `from`) with status; for the INVITE, with our
 * Contact and, for a 2xx, our SDP. Keeps a final answer to the INVITE
 * for its retransmissions. */
static void
reply(struct drv_op *op, const struct bh_sip_msg *m, int status,
      const struct sockaddr *from, socklen_t fromlen) {
    struct bh_driver *d = op->d;
    const struct drv_opsock *s = &d->opsocks[op->sock];
    char msg[MSG_MAX], sdp[1024];
    struct bh_sip_builder b;
    bh_sip_build_init(&b, msg, sizeof msg);
    int invite = m->method == BH_SIP_INVITE;
    bh_sip_build_response(&b, m, status, NULL,
                          status > 100 ? bh_str_make(op->tag, strlen(op->tag))
                                       : BH_STR_NULL);
    int sdplen = 0;
    if (invite && status < 300) {
        char ct[DRV_URI_MAX];
        snprintf(ct, sizeof ct, "sip:%s@%s:%u", op->user, s->host, s->port);
        bh_sip_build_nameaddr(&b, "Contact", BH_STR_NULL,
                              bh_str_make(ct, strlen(ct)), BH_STR_NULL);
    }
    if (invite && status >= 200 && status < 300) {
        /* the operator's position, as the switch numbers its legs */
        if (!op->carrier)
            bh_sip_build_headerf(&b, "X-BH-Operator", "%d", op->pos);
        struct bh_sdp sdpin;
        struct bh_sdp_audio local, ans;
        struct bh_sdp_plan plan;
        drv_media_local(&op->m, &local);
        if (bh_sdp_parse(m->body.p, m->body.len, &sdpin, NULL) == 0 &&
            bh_sdp_answer(&sdpin, &local, &ans, &plan) == 0) {
            sdplen = bh_sdp_build_audio(sdp, sizeof sdp, &ans);
            if (sdplen < 0 || drv_media_start(&op->m, &plan) < 0)
                sdplen = 0;
        }
    }
    int len = bh_sip_build_finish(&b, "application/sdp",
                                  bh_str_make(sdp, (size_t)(sdplen)));
    if (len <= 0)
        return;
    op_send(op, msg, (size_t)len, from, fromlen);
    if (invite && status >= 200) {
        free(op->final);
        op->final = malloc((size_t)len);
        if (op->final) {
            memcpy(op->final, msg, (size_t)len);
            op->final_len = (size_t)len;
        }
    }
}

static void
op_rearm(struct drv_op *op) {
    double at = op->state == OP_RINGING   ? op->answer_at
                : op->state == OP_TALKING ? op->hangup_at
                                          : INFINITY;
    evtimer_del(&op->timer);
    if (!isfinite(at))
        return;
    double dt = at - drv_now(op->d);
    if (dt < 0)
        dt = 0;
    struct timeval tv = {(time_t)dt, (suseconds_t)((dt - floor(dt)) * 1e6)};
    evtimer_add(&op->timer, &tv);
}

/* What the operator heard of the caller, given to the tied caller. */
static void
op_idle(struct drv_op *op) {
    struct bh_driver *d = op->d;
    struct drv_call *c = op->caller;
    if (c && c->gen == op->caller_gen && c->state != CALL_FREE) {
        double j;
        int32_t lost;
        c->mos_out = drv_media_mos(&op->m, &j, &lost);
    }
    op->caller = NULL;
    op->state = OP_IDLE;
    evtimer_del(&op->timer);
    drv_media_close(&op->m);
    free(op->invite);
    op->invite = NULL;
    free(op->final);
    op->final = NULL;
    op->call_id[0] = 0;
    drv_maybe_done(d);
}

static void carrier_ring(struct drv_op *op, double *ring);

static void
invite(struct drv_op *op, const struct bh_sip_msg *m, const char *buf,
       size_t len, const struct sockaddr *from, socklen_t fromlen) {
    struct bh_driver *d = op->d;
    if (op->state != OP_IDLE) {
        if (bh_str_eq(m->call_id, op->call_id)) {
            /* a retransmission: the answer again */
            if (op->final)
                op_send(op, op->final, op->final_len, from, fromlen);
            else
                reply(op, m, 180, from, fromlen);
        } else {
            reply(op, m, 486, from, fromlen); /* one call at a time */
        }
        return;
    }
    if (m->call_id.len >= sizeof op->call_id || !(op->invite = malloc(len))) {
        reply(op, m, 500, from, fromlen);
        return;
    }
    memcpy(op->invite, buf, len);
    op->invite_len = len;
    snprintf(op->call_id, sizeof op->call_id, "%.*s", (int)m->call_id.len,
             m->call_id.p);
    bh_sip_make_tag(op->tag, drv_random(d));
    memcpy(&op->peer, from, fromlen);
    op->peer_len = fromlen;
    op->caller = op->carrier ? drv_call_by_dialled(d, m->ruri.user) : tie(d, m);
    op->caller_gen = op->caller ? op->caller->gen : 0;
    op->holding = op->caller ? op->caller->a.holding : NAN;
    double ring = d->opt.answer_at_once ? 0 : DRV_OP_RING;
    op->answers = 1;
    if (op->carrier)
        carrier_ring(op, &ring);
    uint64_t tone = (op->carrier ? 2000003u : 1000003u) + (uint64_t)op->pos;
    if (drv_media_open(d, &op->m, tone) < 0) {
        reply(op, m, 503, from, fromlen);
        free(op->invite);
        op->invite = NULL;
        op->call_id[0] = 0;
        return;
    }
    op->state = OP_RINGING;
    reply(op, m, 180, from, fromlen);
    op->answer_at = drv_now(d) + ring;
    op_rearm(op);
}

/* How long the carrier rings (wall s) and whether the called party
 * answers: a campaign attempt of ours as the traffic model drew it (its
 * ring time, whether it is answered); any other outside call as the
 * scenario's first campaign would (its answer probability, a ring time
 * drawn from its distribution), else answered after a short ring. */
static void
carrier_ring(struct drv_op *op, double *ring) {
    struct bh_driver *d = op->d;
    d->st.carrier_calls++;
    if (op->caller) {
        *ring = op->caller->a.ring / d->speed;
        op->answers = op->caller->a.answers;
        return;
    }
    if (!d->campaign)
        return;
    const struct bh_sc_campaign *cp = &d->campaign->campaign;
    *ring = bh_traffic_sample(&cp->ring, d->carrier_rng) / d->speed;
    op->answers = gsl_rng_uniform(d->carrier_rng) < cp->answer_probability;
}

/* The ring is over: 200 with our answer; talk for the caller's holding
 * time (unknown when the caller could not be told: the caller hangs
 * up then). */
static void
answer(struct drv_op *op) {
    struct bh_driver *d = op->d;
    static struct bh_sip_msg m;
    if (bh_sip_parse(op->invite, op->invite_len, &m, NULL) != 0) {
        op_idle(op);
        return;
    }
    reply(op, &m, 200, (struct sockaddr *)&op->peer, op->peer_len);
    if (!op->m.on) {
        /* no usable offer: 200 without media makes no call */
        op_idle(op);
        return;
    }
    op->state = OP_TALKING;
    op->handled++;
    struct drv_call *c = op->caller;
    if (op->carrier) {
        /* the dialer (or whoever called out) hangs up */
        op->hangup_at = INFINITY;
    } else if (c && c->gen == op->caller_gen && c->state != CALL_FREE) {
        c->tied = 1;
        c->t_op_answer = drv_now(d);
        op->hangup_at = drv_now(d) + op->holding / d->speed;
    } else {
        op->hangup_at = INFINITY;
    }
    op_rearm(op);
}

/* The carrier's called party did not answer: 480 (RFC 3398 maps Q.850
 * cause 19, no answer, to 480), the INVITE's transaction ends. */
static void
give_up(struct drv_op *op) {
    static struct bh_sip_msg m;
    if (bh_sip_parse(op->invite, op->invite_len, &m, NULL) == 0)
        reply(op, &m, 480, (struct sockaddr *)&op->peer, op->peer_len);
    op_idle(op);
}

/* Our BYE: From is the INVITE's To with our tag, To its From (RFC 3261
 * 12.1.1, 12.2.1.1); sent to where the INVITE came from. */
static void
hang_up(struct drv_op *op) {
    struct bh_driver *d = op->d;
    static struct bh_sip_msg m;
    if (!op->invite || bh_sip_parse(op->invite, op->invite_len, &m, NULL)) {
        op_idle(op);
        return;
    }
    const struct drv_opsock *s = &d->opsocks[op->sock];
    char msg[MSG_MAX], branch[BH_SIP_TOKEN_MAX];
    bh_sip_make_branch(branch, drv_random(d));
    struct bh_sip_nameaddr ct[1];
    int star = 0;
    struct bh_str ruri =
        bh_sip_contacts(&m, ct, 1, &star) == 1 ? ct[0].uri.raw : m.from.uri.raw;
    struct bh_sip_builder b;
    bh_sip_build_init(&b, msg, sizeof msg);
    bh_sip_build_request(&b, BH_SIP_BYE, NULL, ruri);
    bh_sip_build_via(&b, "UDP", bh_str_make(s->host, strlen(s->host)), s->port,
                     bh_str_make(branch, strlen(branch)), 1);
    bh_sip_build_header(&b, "Max-Forwards", BH_STR_LIT("70"));
    bh_sip_build_nameaddr(&b, "From", BH_STR_NULL, m.to.uri.raw,
                          bh_str_make(op->tag, strlen(op->tag)));
    bh_sip_build_nameaddr(&b, "To", BH_STR_NULL, m.from.uri.raw, m.from.tag);
    bh_sip_build_header(&b, "Call-ID", m.call_id);
    bh_sip_build_cseq(&b, 1, BH_SIP_BYE, NULL);
    int len = bh_sip_build_finish(&b, NULL, BH_STR_NULL);
    if (len > 0)
        op_send(op, msg, (size_t)len, (struct sockaddr *)&op->peer,
                op->peer_len);
    struct drv_call *c = op->caller;
    if (c && c->gen == op->caller_gen && c->state != CALL_FREE)
        c->t_op_end = drv_now(d);
    /* what the caller's audio sounded like, before the stream closes */
    op->state = OP_BYE_SENT;
    op_idle(op);
}

static void
on_op_timer(evutil_socket_t fd, short what, void *arg) {
    struct drv_op *op = arg;
    (void)fd;
    (void)what;
    if (op->state == OP_RINGING && !op->answers)
        give_up(op);
    else if (op->state == OP_RINGING)
        answer(op);
    else if (op->state == OP_TALKING)
        hang_up(op);
}

void
drv_ops_hangup(struct bh_driver *d) {
    for (size_t i = 0; i < d->nops; i++) {
        struct drv_op *op = &d->ops[i];
        if (op->state == OP_TALKING)
            hang_up(op);
        else if (op->state != OP_IDLE)
            op_idle(op);
    }
}

double
drv_ops_heard(struct bh_driver *d, const struct drv_call *c) {
    for (size_t i = 0; i < d->nops; i++) {
        struct drv_op *op = &d->ops[i];
        if (op->state != OP_IDLE && op->caller == c &&
            op->caller_gen == c->gen) {
            double j;
            int32_t lost;
            return drv_media_mos(&op->m, &j, &lost);
        }
    }
    return NAN;
}

int
drv_ops_busy(const struct bh_driver *d) {
    int n = 0;
    for (size_t i = 0; i < d->nops; i++)
        n += d->ops[i].state != OP_IDLE;
    return n;
}

void
drv_ops_media_tick(struct bh_driver *d, double now) {
    for (size_t i = 0; i < d->nops; i++)
        if (d->ops[i].state == OP_TALKING && d->ops[i].m.on)
            drv_media_tick(&d->ops[i].m, now);
}

/* ---- the sockets' messages -------------------------------------------------
 */

static void
request(struct bh_driver *d, int sock, const struct bh_sip_msg *m,
        const char *buf, size_t len, const struct sockaddr *from,
        socklen_t fromlen) {
    struct drv_op *op =
        m->method == BH_SIP_INVITE && m->to.tag.len == 0
            ? (sock == d->carrier_sock ? carrier_line(d, sock, m->call_id)
                                       : op_by_user(d, sock, m->ruri.user))
            : op_by_call(d, sock, m->call_id);
    if (!op) {
        if (m->method != BH_SIP_ACK) {
            /* nobody by that name, or no such dialog (481) */
            struct drv_op tmp;
            memset(&tmp, 0, sizeof tmp);
            tmp.d = d;
            tmp.sock = sock;
            int st = m->method != BH_SIP_INVITE || m->to.tag.len ? 481
                     : sock == d->carrier_sock ? 486 /* every line taken */
                                               : 404;
            reply(&tmp, m, st, from, fromlen);
            free(tmp.final);
        }
        return;
    }
    switch (m->method) {
    case BH_SIP_INVITE:
        if (m->to.tag.len && op->state == OP_TALKING)
            reply(op, m, 200, from, fromlen); /* a re-INVITE */
        else
            invite(op, m, buf, len, from, fromlen);
        break;
    case BH_SIP_ACK:
        break;
    case BH_SIP_BYE:
        reply(op, m, 200, from, fromlen);
        op_idle(op);
        break;
    case BH_SIP_CANCEL: {
        reply(op, m, 200, from, fromlen);
        if (op->state == OP_RINGING) {
            /* RFC 3261 9.2: the INVITE ends with 487 */
            static struct bh_sip_msg inv;
            if (bh_sip_parse(op->invite, op->invite_len, &inv, NULL) == 0)
                reply(op, &inv, 487, from, fromlen);
            op_idle(op);
        }
        break;
    }
    default:
        reply(op, m, 200, from, fromlen);
        break;
    }
}

static void
on_sip(evutil_socket_t fd, short what, void *arg) {
    struct drv_opsock *s = arg;
    struct bh_driver *d = s->d;
    int sock = s->index;
    (void)what;
    static char buf[BH_SIP_MAX_MSG + 1];
    static struct bh_sip_msg m;
    for (int i = 0; i < 256; i++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf - 1, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH) {
                /* an answer we sent was not taken: nothing to do but
                 * empty the queue, or the socket stays readable */
                drv_errqueue_drain(fd);
                continue;
            }
            break;
        }
        d->st.sip_received++;
        drv_packet(d, 1, (struct sockaddr *)&from, fl, fd, buf, (size_t)n);
        if (bh_sip_parse(buf, (size_t)n, &m, NULL) != 0)
            continue;
        if (m.is_request) {
            request(d, sock, &m, buf, (size_t)n, (struct sockaddr *)&from, fl);
        } else if (m.cseq_method == BH_SIP_REGISTER) {
            struct drv_op *op = op_by_reg(d, sock, m.call_id);
            if (op)
                register_response(op, &m);
        }
        /* answers to our BYEs need nothing: the operator is idle */
    }
    drv_errqueue_drain(fd);
}
