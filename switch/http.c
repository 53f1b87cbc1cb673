/* http.c: the metrics endpoint on evhttp: /metrics (Prometheus text
 * exposition) and /status (JSON). */
#include "number.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
reply(struct evhttp_request *req, struct bh_switch *sw, int json) {
    size_t max = sw->cfg->nnumbers;
    struct bh_switch_number_view *v = calloc(max + 1, sizeof *v);
    if (!v) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    size_t n = sw_number_views(sw, v, max);
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
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type",
                      json ? "application/json"
                           : "text/plain; version=0.0.4; charset=utf-8");
    struct evbuffer *b = evbuffer_new();
    if (b) {
        evbuffer_add(b, buf, need);
        evhttp_send_reply(req, 200, "OK", b);
        evbuffer_free(b);
    } else {
        evhttp_send_error(req, 500, NULL);
    }
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
