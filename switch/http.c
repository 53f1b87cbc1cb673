/* http.c: the metrics endpoint on evhttp: /metrics (Prometheus text
 * exposition), /status (JSON) and /recordings (JSON: the recordings the
 * bridges made). */
#include "bridge.h"
#include "conf.h"
#include "number.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* The bridges' and the mixer's counters, copied in when rendered. */
static void
bridge_metrics(struct bh_switch *sw) {
    struct bh_rooms_stats rs;
    sw_bridge_stats(sw, &rs);
    struct sw_conf_stats cs;
    sw_conf_stats(sw, &cs);
    struct bh_switch_metrics *m = &sw->m;
    m->bridge_lockouts = rs.lockouts;
    m->bridge_wrong = rs.wrong;
    m->bridge_joined = rs.joined;
    m->bridge_ports_busy = sw_bridge_ports_busy(sw);
    m->mixer_ticks = cs.ticks;
    m->mixer_late_ticks = cs.late;
    m->mixer_rooms = cs.rooms;
    m->mixer_participants = cs.participants;
}

static void
send_body(struct evhttp_request *req, const char *type, const char *buf,
          size_t len) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      type);
    struct evbuffer *b = evbuffer_new();
    if (b) {
        evbuffer_add(b, buf, len);
        evhttp_send_reply(req, 200, "OK", b);
        evbuffer_free(b);
    } else {
        evhttp_send_error(req, 500, NULL);
    }
}

static void
json_text(struct evbuffer *b, const char *s) {
    evbuffer_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            evbuffer_add_printf(b, "\\%c", c);
        else if (c < 0x20)
            evbuffer_add_printf(b, "\\u%04x", c);
        else
            evbuffer_add(b, s, 1);
    }
    evbuffer_add(b, "\"", 1);
}

/* /recordings: every WAV file the bridges' rooms and the recorded calls
 * wrote or are writing. */
static void
recordings(struct evhttp_request *req, struct bh_switch *sw) {
    size_t n;
    const struct sw_conf_recording *r = sw_conf_recordings(sw, &n);
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add_printf(b, "{\"recordings\":[");
    for (size_t i = 0; i < n; i++) {
        evbuffer_add_printf(b, "%s{\"room\":", i ? "," : "");
        json_text(b, r[i].label);
        evbuffer_add_printf(b, ",\"caller\":");
        json_text(b, r[i].caller);
        evbuffer_add_printf(b, ",\"number\":");
        json_text(b, r[i].number);
        evbuffer_add_printf(b, ",\"path\":");
        json_text(b, r[i].path);
        evbuffer_add_printf(b,
                            ",\"start\":%.3f,\"end\":%s%.3f,\"seconds\":%.3f,"
                            "\"open\":%s,\"error\":%s}",
                            r[i].start, "", r[i].end < 0 ? -1.0 : r[i].end,
                            (double)r[i].samples / 8000.0,
                            r[i].end < 0 ? "true" : "false",
                            r[i].error ? "true" : "false");
    }
    evbuffer_add_printf(b, "]}\n");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

static void
reply(struct evhttp_request *req, struct bh_switch *sw, int json) {
    size_t max = sw->cfg->nnumbers;
    struct bh_switch_number_view *v = calloc(max + 1, sizeof *v);
    if (!v) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    size_t n = sw_number_views(sw, v, max);
    sw_cdr_metrics(sw);
    bridge_metrics(sw);
    sw->m.limit_blocked = sw_limiter_blocked_now(&sw->pike, sw_now(sw));
    size_t need =
        json ? bh_switch_metrics_json(&sw->m, v, n, sw_now(sw), NULL, 0)
             : bh_switch_metrics_prometheus(&sw->m, v, n, NULL, 0);
    char *buf = malloc(need + 1);
    if (!buf) {
        free(v);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    if (json)
        bh_switch_metrics_json(&sw->m, v, n, sw_now(sw), buf, need + 1);
    else
        bh_switch_metrics_prometheus(&sw->m, v, n, buf, need + 1);
    free(v);
    send_body(req,
              json ? "application/json"
                   : "text/plain; version=0.0.4; charset=utf-8",
              buf, need);
    free(buf);
}

static void
on_request(struct evhttp_request *req, void *arg) {
    struct bh_switch *sw = arg;
    const char *uri = evhttp_request_get_uri(req);
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
        evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
        evhttp_send_error(req, 405, NULL);
        return;
    }
    if (uri &&
        (strcmp(uri, "/metrics") == 0 || strncmp(uri, "/metrics?", 9) == 0))
        reply(req, sw, 0);
    else if (uri &&
             (strcmp(uri, "/status") == 0 || strncmp(uri, "/status?", 8) == 0))
        reply(req, sw, 1);
    else if (uri && (strcmp(uri, "/recordings") == 0 ||
                     strncmp(uri, "/recordings?", 12) == 0))
        recordings(req, sw);
    else
        evhttp_send_error(req, 404, NULL);
}

/* ---- the endpoint's own limits ------------------------------------------
 * HTTP must never take the descriptors SIP needs (RTP sockets of calls):
 *  - at most http_connections open at once; a new one over the cap closes
 *    the oldest (an idle connection gives way to a /status that comes);
 *  - a connection idle for http_idle s is closed (evhttp's timeout);
 *  - a connection whose descriptor falls within SW_FD_RESERVE of the
 *    process's limit is closed at once (counted), and when accept fails
 *    for want of descriptors the listener rests for a second, silently
 *    (libevent would otherwise retry and log at every turn).
 * evhttp in libevent 2.1 says nothing when a connection ends, so the
 * open ones are kept as (descriptor, inode) pairs: a pair whose
 * descriptor no longer holds that socket has closed. Each new connection
 * is seen through evhttp's bufferevent callback, held (a reference) until
 * the next loop turn, when its descriptor is known. */

struct sw_http_conn {
    int fd;
    dev_t dev;
    ino_t ino;
};

struct sw_http_guard {
    struct evconnlistener *listener; /* evhttp's, borrowed */
    struct event *check_ev, *rest_ev;
    struct sw_http_conn *open; /* oldest first */
    size_t nopen, cap;
    struct bufferevent **fresh; /* new, fd not known yet; referenced */
    size_t nfresh, fresh_cap;
    long fd_limit; /* RLIMIT_NOFILE soft, at start */
};

static int
conn_alive(const struct sw_http_conn *c) {
    struct stat st;
    return fstat(c->fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
           st.st_ino == c->ino && st.st_dev == c->dev;
}

/* Ends a connection from below: evhttp then reads EOF and frees it. */
static void
conn_close(struct bh_switch *sw, int fd) {
    shutdown(fd, SHUT_RDWR);
    sw->m.http_refused++;
}

static void
guard_prune(struct sw_http_guard *g) {
    size_t k = 0;
    for (size_t i = 0; i < g->nopen; i++)
        if (conn_alive(&g->open[i]))
            g->open[k++] = g->open[i];
    g->nopen = k;
}

/* The next loop turn after connections arrived: admit or close each. */
static void
on_guard_check(evutil_socket_t fd, short what, void *arg) {
    struct bh_switch *sw = arg;
    struct sw_http_guard *g = sw->http_guard;
    guard_prune(g);
    for (size_t i = 0; i < g->nfresh; i++) {
        struct bufferevent *bev = g->fresh[i];
        int cfd = (int)bufferevent_getfd(bev);
        struct stat st;
        if (cfd >= 0 && (long)cfd >= g->fd_limit - SW_FD_RESERVE) {
            conn_close(sw, cfd); /* the reserve is SIP's */
        } else if (cfd >= 0 && fstat(cfd, &st) == 0) {
            if (g->nopen == g->cap) {
                conn_close(sw, g->open[0].fd); /* the oldest gives way */
                memmove(g->open, g->open + 1, (g->nopen - 1) * sizeof *g->open);
                g->nopen--;
            }
            g->open[g->nopen++] =
                (struct sw_http_conn){cfd, st.st_dev, st.st_ino};
        }
        bufferevent_decref(bev);
    }
    g->nfresh = 0;
}

/* evhttp asks for each new connection's bufferevent. */
static struct bufferevent *
on_new_conn(struct event_base *base, void *arg) {
    struct bh_switch *sw = arg;
    struct sw_http_guard *g = sw->http_guard;
    struct bufferevent *bev =
        bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL; /* evhttp makes one itself */
    if (g->nfresh == g->fresh_cap) {
        size_t n = g->fresh_cap ? g->fresh_cap * 2 : 64;
        struct bufferevent **f = realloc(g->fresh, n * sizeof *f);
        if (!f)
            return bev; /* not watched: closed by its idle timeout */
        g->fresh = f;
        g->fresh_cap = n;
    }
    bufferevent_incref(bev);
    g->fresh[g->nfresh++] = bev;
    event_active(g->check_ev, EV_TIMEOUT, 0);
    return bev;
}

static void
on_rest_over(evutil_socket_t fd, short what, void *arg) {
    struct sw_http_guard *g = arg;
    evconnlistener_enable(g->listener);
}

/* accept failed (no descriptor left, EMFILE/ENFILE ...): rest a second. */
static void
on_accept_error(struct evconnlistener *l, void *arg) {
    struct bh_switch *sw = arg;
    struct sw_http_guard *g = sw->http_guard;
    sw->m.http_refused++;
    evconnlistener_disable(l);
    sw_timer_in(g->rest_ev, 1.0);
}

static int
guard_start(struct bh_switch *sw, struct evhttp_bound_socket *bound, char *err,
            size_t errlen) {
    const struct bh_sc_switch_limits *lim = &sw->cfg->limits;
    struct sw_http_guard *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return BH_ENOMEM;
    }
    sw->http_guard = g;
    g->cap = lim->http_connections > 0 ? (size_t)lim->http_connections
                                       : BH_SC_HTTP_CONNECTIONS_DEFAULT;
    struct rlimit rl;
    g->fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
                          rl.rlim_cur != RLIM_INFINITY &&
                          rl.rlim_cur < (rlim_t)LONG_MAX
                      ? (long)rl.rlim_cur
                      : LONG_MAX;
    g->listener = evhttp_bound_socket_get_listener(bound);
    g->open = calloc(g->cap, sizeof *g->open);
    g->check_ev = event_new(sw->base, -1, 0, on_guard_check, sw);
    g->rest_ev = evtimer_new(sw->base, on_rest_over, g);
    if (!g->open || !g->check_ev || !g->rest_ev || !g->listener) {
        snprintf(err, errlen, "out of memory");
        return BH_ENOMEM;
    }
    evconnlistener_set_error_cb(g->listener, on_accept_error);
    evhttp_set_bevcb(sw->http, on_new_conn, sw);
    double idle = lim->http_idle > 0 ? lim->http_idle : BH_SC_HTTP_IDLE_DEFAULT;
    struct timeval tv = {(time_t)idle,
                         (suseconds_t)((idle - (double)(time_t)idle) * 1e6)};
    evhttp_set_timeout_tv(sw->http, &tv);
    return 0;
}

void
sw_http_free(struct bh_switch *sw) {
    struct sw_http_guard *g = sw->http_guard;
    if (g) {
        for (size_t i = 0; i < g->nfresh; i++)
            bufferevent_decref(g->fresh[i]);
        if (g->check_ev)
            event_free(g->check_ev);
        if (g->rest_ev)
            event_free(g->rest_ev);
        free(g->open);
        free(g->fresh);
        free(g);
        sw->http_guard = NULL;
    }
    if (sw->http)
        evhttp_free(sw->http);
    sw->http = NULL;
}

int
sw_http_start(struct bh_switch *sw, const char *hostport, char *err,
              size_t errlen) {
    char host[80];
    const char *colon = strrchr(hostport, ':');
    size_t hl = colon ? (size_t)(colon - hostport) : 0;
    if (!colon || hl == 0 || hl >= sizeof host) {
        snprintf(err, errlen, "--http %s: need HOST:PORT", hostport);
        return BH_EINVAL;
    }
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) {
        snprintf(err, errlen, "--http %s: bad port", hostport);
        return BH_EINVAL;
    }
    struct sw_addr probe;
    if (sw_addr_parse(host, (uint16_t)port, &probe) < 0) {
        snprintf(err, errlen, "--http %s: need a numeric address", hostport);
        return BH_EINVAL;
    }
    sw->http = evhttp_new(sw->base);
    if (!sw->http) {
        snprintf(err, errlen, "out of memory");
        return BH_ENOMEM;
    }
    struct evhttp_bound_socket *bound =
        evhttp_bind_socket_with_handle(sw->http, host, (uint16_t)port);
    if (!bound) {
        snprintf(err, errlen, "--http %s: cannot bind", hostport);
        return BH_EIO;
    }
    evhttp_set_gencb(sw->http, on_request, sw);
    return guard_start(sw, bound, err, errlen);
}
