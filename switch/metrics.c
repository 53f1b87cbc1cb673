/* metrics.c: counters rendered as Prometheus text (/metrics) and JSON
 * (/status). */
#include "switch.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const method_names[BH_SWITCH_M_COUNT] = {
    "INVITE",   "ACK",  "BYE",    "CANCEL", "OPTIONS",
    "REGISTER", "INFO", "UPDATE", "OTHER"};

#define END_NAME_(name, str) str,
static const char *const end_names[BH_SWITCH_END_COUNT] = {
    BH_SWITCH_END_MAP(END_NAME_)};
#undef END_NAME_

const char *
bh_switch_end_name(enum bh_switch_end e) {
    if ((int)e < 0 || e >= BH_SWITCH_END_COUNT)
        return "unknown";
    return end_names[e];
}

#define FRAUD_NAME_(id, name) [BH_SWITCH_FRAUD_##id] = name,
static const char *const fraud_names[] = {BH_SWITCH_FRAUD_MAP(FRAUD_NAME_)};
#undef FRAUD_NAME_

const char *
bh_switch_fraud_name(enum bh_switch_fraud f) {
    if ((int)f < 0 || f >= BH_SWITCH_FRAUD_COUNT)
        return "unknown";
    return fraud_names[f];
}

const char *
bh_switch_method_name(enum bh_switch_method m) {
    if ((int)m < 0 || m >= BH_SWITCH_M_COUNT)
        return "OTHER";
    return method_names[m];
}

enum bh_switch_method
bh_switch_method_from(struct bh_str name) {
    for (int i = 0; i < BH_SWITCH_M_OTHER; i++)
        if (strlen(method_names[i]) == name.len &&
            memcmp(method_names[i], name.p, name.len) == 0)
            return (enum bh_switch_method)i;
    return BH_SWITCH_M_OTHER;
}

/* An appender that counts what it would need, like snprintf. */
struct out {
    char *buf;
    size_t size, len;
};

static void out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static size_t
out_end(struct out *o) {
    if (o->size)
        o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
    return o->len;
}

/* Label values come from the scenario (names, numbers); escape per the
 * text exposition format: backslash, double quote and newline. */
static void
label(struct out *o, const char *s) {
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            out_printf(o, "\\%c", *s);
        else if (*s == '\n')
            out_printf(o, "\\n");
        else
            out_printf(o, "%c", *s);
    }
}

/* The limits (switch.limits): one table for both renderings. */
static const struct {
    const char *name, *json, *type, *help;
    size_t off;
} guard[] = {
    {"bh_switch_limit_dropped_total", "dropped", "counter",
     "requests ignored because their source was over source_rate",
     offsetof(struct bh_switch_metrics, limit_dropped)},
    {"bh_switch_limit_blocks_total", "blocks", "counter",
     "times a source went over source_rate and was blocked",
     offsetof(struct bh_switch_metrics, limit_blocks)},
    {"bh_switch_limit_sources_blocked", "sources_blocked", "gauge",
     "sources blocked now", offsetof(struct bh_switch_metrics, limit_blocked)},
    {"bh_switch_limit_sources_filtered", "sources_filtered", "gauge",
     "blocked sources whose datagrams the kernel drops now (socket filter)",
     offsetof(struct bh_switch_metrics, filter_sources)},
    {"bh_switch_limit_filter_builds_total", "filter_builds", "counter",
     "times the socket filter of blocked sources was rebuilt",
     offsetof(struct bh_switch_metrics, filter_builds)},
    {"bh_switch_sip_stateless_total", "stateless", "counter",
     "requests answered without transaction state",
     offsetof(struct bh_switch_metrics, stateless)},
    {"bh_switch_auth_failures_total", "auth_failures", "counter",
     "failed authentications (wrong password, unknown user, replay)",
     offsetof(struct bh_switch_metrics, auth_failures)},
    {"bh_switch_auth_replays_total", "auth_replays", "counter",
     "of which a nonce count seen before",
     offsetof(struct bh_switch_metrics, auth_replays)},
    {"bh_switch_auth_refused_total", "auth_refused", "counter",
     "attempts refused unchecked while their source or account was blocked",
     offsetof(struct bh_switch_metrics, auth_refused)},
    {"bh_switch_auth_blocks_total", "auth_blocks", "counter",
     "times a source or account was blocked after failures",
     offsetof(struct bh_switch_metrics, auth_blocks)},
    {"bh_switch_shed_total", "shed", "counter",
     "new calls refused with 503 over max_cps",
     offsetof(struct bh_switch_metrics, shed)},
    {"bh_switch_shed_backlog_total", "shed_backlog", "counter",
     "new calls refused (503) because they waited in the socket buffer "
     "longer than 2 s",
     offsetof(struct bh_switch_metrics, shed_stale)},
    {"bh_switch_http_refused_total", "http_refused", "counter",
     "HTTP connections closed at accept (over the cap or the descriptor "
     "reserve)",
     offsetof(struct bh_switch_metrics, http_refused)},
};

static uint64_t
guard_value(const struct bh_switch_metrics *m, size_t i) {
    uint64_t v;
    memcpy(&v, (const char *)m + guard[i].off, sizeof v);
    return v;
}

static void
guard_prometheus(struct out *o, const struct bh_switch_metrics *m) {
    for (size_t i = 0; i < sizeof guard / sizeof *guard; i++)
        out_printf(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", guard[i].name,
                   guard[i].help, guard[i].name, guard[i].type, guard[i].name,
                   (unsigned long long)guard_value(m, i));
}

static void
guard_json(struct out *o, const struct bh_switch_metrics *m) {
    out_printf(o, ",\"limits\":{");
    for (size_t i = 0; i < sizeof guard / sizeof *guard; i++)
        out_printf(o, "%s\"%s\":%llu", i ? "," : "", guard[i].json,
                   (unsigned long long)guard_value(m, i));
    out_printf(o, "}");
}

/* The CDR store: rows written, waiting, lost; failed commits. */
static void
cdr_prometheus(struct out *o, const struct bh_switch_metrics *m) {
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } cdr[] = {
        {"bh_switch_cdr_rows_written_total", "counter",
         "CDR rows committed (a call's row counts at answer and at end)",
         offsetof(struct bh_switch_metrics, cdr_written)},
        {"bh_switch_cdr_rows_pending", "gauge",
         "CDR rows in memory waiting for a commit",
         offsetof(struct bh_switch_metrics, cdr_pending)},
        {"bh_switch_cdr_rows_lost_total", "counter",
         "CDR rows that could not be written",
         offsetof(struct bh_switch_metrics, cdr_lost)},
        {"bh_switch_cdr_write_failures_total", "counter",
         "CDR commits that failed and were retried",
         offsetof(struct bh_switch_metrics, cdr_retries)},
        {"bh_switch_cdr_busy_total", "counter",
         "of those, because another process held the database lock",
         offsetof(struct bh_switch_metrics, cdr_busy)},
        {"bh_switch_cdr_full_total", "counter",
         "of those, because the disk or file was full",
         offsetof(struct bh_switch_metrics, cdr_full)},
        {"bh_switch_cdr_held", "gauge",
         "answers and BYEs waiting for a CDR commit",
         offsetof(struct bh_switch_metrics, cdr_held)},
    };
    for (size_t i = 0; i < sizeof cdr / sizeof *cdr; i++) {
        uint64_t v;
        memcpy(&v, (const char *)m + cdr[i].off, sizeof v);
        out_printf(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", cdr[i].name,
                   cdr[i].help, cdr[i].name, cdr[i].type, cdr[i].name,
                   (unsigned long long)v);
    }
}

size_t
bh_switch_metrics_prometheus(const struct bh_switch_metrics *m,
                             const struct bh_switch_number_view *nv,
                             size_t nnumbers, char *buf, size_t size) {
    struct out o = {buf, size, 0};
    static const struct {
        const char *name, *help;
        size_t off;
    } gauges[] = {
        {"bh_switch_lines", "lines of the number",
         offsetof(struct bh_switch_number_view, lines)},
        {"bh_switch_lines_busy", "lines in use",
         offsetof(struct bh_switch_number_view, lines_busy)},
        {"bh_switch_operators", "operators of the number's queue",
         offsetof(struct bh_switch_number_view, operators)},
        {"bh_switch_operators_free", "operators free to take a call",
         offsetof(struct bh_switch_number_view, operators_free)},
    };
    for (size_t g = 0; g < sizeof gauges / sizeof *gauges; g++) {
        out_printf(&o, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name,
                   gauges[g].help, gauges[g].name);
        for (size_t i = 0; i < nnumbers; i++) {
            int v;
            memcpy(&v, (const char *)&nv[i] + gauges[g].off, sizeof v);
            out_printf(&o, "%s{number=\"", gauges[g].name);
            label(&o, nv[i].name);
            out_printf(&o, "\"} %d\n", v);
        }
    }
    out_printf(&o, "# HELP bh_switch_queue_length callers waiting\n"
                   "# TYPE bh_switch_queue_length gauge\n");
    for (size_t i = 0; i < nnumbers; i++) {
        out_printf(&o, "bh_switch_queue_length{number=\"");
        label(&o, nv[i].name);
        out_printf(&o, "\"} %zu\n", nv[i].waiting);
    }
    out_printf(&o,
               "# HELP bh_switch_calls_active calls in progress\n"
               "# TYPE bh_switch_calls_active gauge\n"
               "bh_switch_calls_active %llu\n",
               (unsigned long long)m->calls_active);
    out_printf(&o, "# HELP bh_switch_calls_total ended calls by outcome\n"
                   "# TYPE bh_switch_calls_total counter\n");
    for (int i = 0; i < BH_OUTCOME_COUNT; i++)
        out_printf(&o, "bh_switch_calls_total{outcome=\"%s\"} %llu\n",
                   bh_outcome_name((enum bh_outcome)i),
                   (unsigned long long)m->outcomes[i]);
    out_printf(&o, "# HELP bh_switch_calls_ended_total calls ended, by why\n"
                   "# TYPE bh_switch_calls_ended_total counter\n");
    for (int i = 0; i < BH_SWITCH_END_COUNT; i++)
        out_printf(&o, "bh_switch_calls_ended_total{reason=\"%s\"} %llu\n",
                   end_names[i], (unsigned long long)m->ended[i]);
    out_printf(&o,
               "# HELP bh_switch_session_refreshes_total RFC 4028 session "
               "refreshes\n"
               "# TYPE bh_switch_session_refreshes_total counter\n"
               "bh_switch_session_refreshes_total %llu\n",
               (unsigned long long)m->session_refreshes);
    cdr_prometheus(&o, m);
    guard_prometheus(&o, m);
    out_printf(&o, "# HELP bh_switch_sip_requests_total SIP requests\n"
                   "# TYPE bh_switch_sip_requests_total counter\n");
    for (int i = 0; i < BH_SWITCH_M_COUNT; i++) {
        out_printf(&o,
                   "bh_switch_sip_requests_total{method=\"%s\",dir=\"in\"} "
                   "%llu\n",
                   method_names[i], (unsigned long long)m->requests_in[i]);
        out_printf(&o,
                   "bh_switch_sip_requests_total{method=\"%s\",dir=\"out\"} "
                   "%llu\n",
                   method_names[i], (unsigned long long)m->requests_out[i]);
    }
    out_printf(&o, "# HELP bh_switch_sip_responses_total SIP responses\n"
                   "# TYPE bh_switch_sip_responses_total counter\n");
    for (int s = 0; s < BH_SWITCH_STATUS_SLOTS; s++) {
        if (m->responses_in[s])
            out_printf(&o,
                       "bh_switch_sip_responses_total{status=\"%d\",dir="
                       "\"in\"} %llu\n",
                       s, (unsigned long long)m->responses_in[s]);
        if (m->responses_out[s])
            out_printf(&o,
                       "bh_switch_sip_responses_total{status=\"%d\",dir="
                       "\"out\"} %llu\n",
                       s, (unsigned long long)m->responses_out[s]);
    }
    out_printf(&o,
               "# HELP bh_switch_sip_parse_errors_total unparsable messages\n"
               "# TYPE bh_switch_sip_parse_errors_total counter\n"
               "bh_switch_sip_parse_errors_total %llu\n"
               "# HELP bh_switch_sip_oversize_total messages over the size "
               "bound\n"
               "# TYPE bh_switch_sip_oversize_total counter\n"
               "bh_switch_sip_oversize_total %llu\n"
               "# HELP bh_switch_sip_retransmissions_total retransmissions\n"
               "# TYPE bh_switch_sip_retransmissions_total counter\n"
               "bh_switch_sip_retransmissions_total{dir=\"in\"} %llu\n"
               "bh_switch_sip_retransmissions_total{dir=\"out\"} %llu\n"
               "# HELP bh_switch_overload_rejected_total INVITEs refused "
               "with 503 while the event loop lagged\n"
               "# TYPE bh_switch_overload_rejected_total counter\n"
               "bh_switch_overload_rejected_total %llu\n"
               "# HELP bh_switch_rtp_packets_total RTP packets\n"
               "# TYPE bh_switch_rtp_packets_total counter\n"
               "bh_switch_rtp_packets_total{dir=\"in\"} %llu\n"
               "bh_switch_rtp_packets_total{dir=\"out\"} %llu\n",
               (unsigned long long)m->parse_errors,
               (unsigned long long)m->oversize,
               (unsigned long long)m->retransmissions_in,
               (unsigned long long)m->retransmissions_out,
               (unsigned long long)m->overload_rejected,
               (unsigned long long)m->rtp_in, (unsigned long long)m->rtp_out);
    out_printf(
        &o,
        "# HELP bh_switch_bridge_locked_out_total INVITEs refused 403: the "
        "source address guessed passcodes\n"
        "# TYPE bh_switch_bridge_locked_out_total counter\n"
        "bh_switch_bridge_locked_out_total %llu\n"
        "# HELP bh_switch_bridge_lockouts_total source addresses locked "
        "out\n"
        "# TYPE bh_switch_bridge_lockouts_total counter\n"
        "bh_switch_bridge_lockouts_total %llu\n"
        "# HELP bh_switch_bridge_wrong_passcodes_total wrong passcodes\n"
        "# TYPE bh_switch_bridge_wrong_passcodes_total counter\n"
        "bh_switch_bridge_wrong_passcodes_total %llu\n"
        "# HELP bh_switch_bridge_joined_total participants who joined a "
        "room\n"
        "# TYPE bh_switch_bridge_joined_total counter\n"
        "bh_switch_bridge_joined_total %llu\n"
        "# HELP bh_switch_bridge_ports_busy bridge ports held\n"
        "# TYPE bh_switch_bridge_ports_busy gauge\n"
        "bh_switch_bridge_ports_busy %llu\n"
        "# HELP bh_switch_mixer_ticks_total 20 ms mixer ticks run\n"
        "# TYPE bh_switch_mixer_ticks_total counter\n"
        "bh_switch_mixer_ticks_total %llu\n"
        "# HELP bh_switch_mixer_late_ticks_total frames whose mixer tick "
        "did not run within its 20 ms\n"
        "# TYPE bh_switch_mixer_late_ticks_total counter\n"
        "bh_switch_mixer_late_ticks_total %llu\n"
        "# HELP bh_switch_mixer_rooms conference rooms mixed\n"
        "# TYPE bh_switch_mixer_rooms gauge\n"
        "bh_switch_mixer_rooms %llu\n"
        "# HELP bh_switch_mixer_participants participants mixed\n"
        "# TYPE bh_switch_mixer_participants gauge\n"
        "bh_switch_mixer_participants %llu\n",
        (unsigned long long)m->bridge_locked_out,
        (unsigned long long)m->bridge_lockouts,
        (unsigned long long)m->bridge_wrong,
        (unsigned long long)m->bridge_joined,
        (unsigned long long)m->bridge_ports_busy,
        (unsigned long long)m->mixer_ticks,
        (unsigned long long)m->mixer_late_ticks,
        (unsigned long long)m->mixer_rooms,
        (unsigned long long)m->mixer_participants);
    out_printf(&o,
               "# HELP bh_switch_pbx_forwards_total forwards followed\n"
               "# TYPE bh_switch_pbx_forwards_total counter\n"
               "bh_switch_pbx_forwards_total %llu\n"
               "# HELP bh_switch_pbx_forward_loops_total calls refused 483: "
               "forwarded deeper than the limit\n"
               "# TYPE bh_switch_pbx_forward_loops_total counter\n"
               "bh_switch_pbx_forward_loops_total %llu\n"
               "# HELP bh_switch_trunk_calls_total outside calls placed on "
               "the trunk\n"
               "# TYPE bh_switch_trunk_calls_total counter\n"
               "bh_switch_trunk_calls_total %llu\n"
               "# HELP bh_switch_trunk_full_total outside calls refused: "
               "every trunk line taken\n"
               "# TYPE bh_switch_trunk_full_total counter\n"
               "bh_switch_trunk_full_total %llu\n"
               "# HELP bh_switch_trunk_lines_busy trunk lines held\n"
               "# TYPE bh_switch_trunk_lines_busy gauge\n"
               "bh_switch_trunk_lines_busy %llu\n"
               "# HELP bh_switch_recording_errors_total recordings that "
               "could not be made or written\n"
               "# TYPE bh_switch_recording_errors_total counter\n"
               "bh_switch_recording_errors_total %llu\n"
               "# HELP bh_switch_fraud_refused_total outside calls refused "
               "403 by the toll-fraud guard\n"
               "# TYPE bh_switch_fraud_refused_total counter\n",
               (unsigned long long)m->pbx_forwards,
               (unsigned long long)m->pbx_forward_loops,
               (unsigned long long)m->pbx_trunk_calls,
               (unsigned long long)m->pbx_trunk_full,
               (unsigned long long)m->pbx_trunk_busy,
               (unsigned long long)m->recording_errors);
    for (int i = 0; i < BH_SWITCH_FRAUD_COUNT; i++)
        out_printf(&o, "bh_switch_fraud_refused_total{reason=\"%s\"} %llu\n",
                   bh_switch_fraud_name((enum bh_switch_fraud)i),
                   (unsigned long long)m->pbx_fraud[i]);
    return out_end(&o);
}

static void
json_str(struct out *o, const char *s) {
    out_printf(o, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            out_printf(o, "\\%c", c);
        else if (c < 0x20)
            out_printf(o, "\\u%04x", c);
        else
            out_printf(o, "%c", c);
    }
    out_printf(o, "\"");
}

size_t
bh_switch_metrics_json(const struct bh_switch_metrics *m,
                       const struct bh_switch_number_view *nv, size_t nnumbers,
                       double uptime, char *buf, size_t size) {
    struct out o = {buf, size, 0};
    out_printf(&o, "{\"status\":\"ready\",\"uptime\":%.3f,", uptime);
    out_printf(&o, "\"calls_active\":%llu,\"calls\":{",
               (unsigned long long)m->calls_active);
    for (int i = 0; i < BH_OUTCOME_COUNT; i++)
        out_printf(&o, "%s\"%s\":%llu", i ? "," : "",
                   bh_outcome_name((enum bh_outcome)i),
                   (unsigned long long)m->outcomes[i]);
    out_printf(&o, "},\"ended\":{");
    for (int i = 0; i < BH_SWITCH_END_COUNT; i++)
        out_printf(&o, "%s\"%s\":%llu", i ? "," : "", end_names[i],
                   (unsigned long long)m->ended[i]);
    out_printf(
        &o,
        "},\"cdr\":{\"written\":%llu,\"pending\":%llu,\"lost\":%llu,"
        "\"failures\":%llu,\"busy\":%llu,\"full\":%llu,"
        "\"held\":%llu}",
        (unsigned long long)m->cdr_written, (unsigned long long)m->cdr_pending,
        (unsigned long long)m->cdr_lost, (unsigned long long)m->cdr_retries,
        (unsigned long long)m->cdr_busy, (unsigned long long)m->cdr_full,
        (unsigned long long)m->cdr_held);
    guard_json(&o, m);
    out_printf(&o,
               ",\"bridges\":{\"ports_busy\":%llu,\"joined\":%llu,"
               "\"wrong_passcodes\":%llu,\"lockouts\":%llu,"
               "\"locked_out\":%llu},\"mixer\":{\"ticks\":%llu,"
               "\"late_ticks\":%llu,\"rooms\":%llu,\"participants\":%llu}",
               (unsigned long long)m->bridge_ports_busy,
               (unsigned long long)m->bridge_joined,
               (unsigned long long)m->bridge_wrong,
               (unsigned long long)m->bridge_lockouts,
               (unsigned long long)m->bridge_locked_out,
               (unsigned long long)m->mixer_ticks,
               (unsigned long long)m->mixer_late_ticks,
               (unsigned long long)m->mixer_rooms,
               (unsigned long long)m->mixer_participants);
    out_printf(&o,
               ",\"pbx\":{\"forwards\":%llu,\"forward_loops\":%llu,"
               "\"trunk_calls\":%llu,\"trunk_full\":%llu,"
               "\"trunk_busy\":%llu,\"recording_errors\":%llu,"
               "\"fraud_refused\":{",
               (unsigned long long)m->pbx_forwards,
               (unsigned long long)m->pbx_forward_loops,
               (unsigned long long)m->pbx_trunk_calls,
               (unsigned long long)m->pbx_trunk_full,
               (unsigned long long)m->pbx_trunk_busy,
               (unsigned long long)m->recording_errors);
    for (int i = 0; i < BH_SWITCH_FRAUD_COUNT; i++)
        out_printf(&o, "%s\"%s\":%llu", i ? "," : "",
                   bh_switch_fraud_name((enum bh_switch_fraud)i),
                   (unsigned long long)m->pbx_fraud[i]);
    out_printf(&o, "}}");
    out_printf(&o, ",\"parse_errors\":%llu,\"numbers\":[",
               (unsigned long long)m->parse_errors);
    for (size_t i = 0; i < nnumbers; i++) {
        out_printf(&o, "%s{\"name\":", i ? "," : "");
        json_str(&o, nv[i].name);
        out_printf(&o, ",\"number\":");
        json_str(&o, nv[i].number);
        out_printf(&o,
                   ",\"lines\":%d,\"lines_busy\":%d,\"queue\":%s,"
                   "\"waiting\":%zu,\"operators\":%d,\"operators_free\":%d}",
                   nv[i].lines, nv[i].lines_busy,
                   nv[i].queue ? "true" : "false", nv[i].waiting,
                   nv[i].operators, nv[i].operators_free);
    }
    out_printf(&o, "]}\n");
    return out_end(&o);
}
