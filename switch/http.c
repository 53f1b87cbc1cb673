/* http.c: the metrics endpoint on evhttp: /metrics (Prometheus text
 * exposition), /status (JSON) and /recordings (JSON: the recordings the
 * bridges made). */
#include "bridge.h"
#include "conf.h"
#include "number.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* /recordings: every WAV file the bridges' rooms wrote or are writing. */
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
    if (evhttp_bind_socket(sw->http, host, (uint16_t)port) < 0) {
        snprintf(err, errlen, "--http %s: cannot bind", hostport);
        return BH_EIO;
    }
    evhttp_set_gencb(sw->http, on_request, sw);
    return 0;
}
