/* export.c: `busyhour export sipp`: a SIPp UAC scenario and injection
 * file per number approximating the scenario's callers: the rate of the
 * busiest reporting interval, the holding times the traffic model draws
 * there, and the limits of the approximation written into the XML. */
#include "driver.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The busiest interval of number n: [*t0, *t0 + interval) with the most
 * first attempts per s (callers only; campaigns go out, not in). */
static double
busiest(const struct bh_scenario *sc, size_t n, double *t0) {
    double iv = sc->interval > 0 ? sc->interval : sc->horizon;
    double best = 0;
    *t0 = 0;
    for (double a = 0; iv > 0 && a < sc->horizon; a += iv) {
        double b = a + iv < sc->horizon ? a + iv : sc->horizon, r = 0;
        for (size_t i = 0; i < sc->nsources; i++) {
            const struct bh_sc_source *s = &sc->sources[i];
            if (s->kind == BH_SOURCE_CALLS &&
                s->target_kind == BH_TARGET_NUMBER && s->target >= 0 &&
                (size_t)s->target == n)
                r += bh_traffic_rate(sc, i, a, b);
        }
        if (r > best) {
            best = r;
            *t0 = a;
        }
    }
    return best;
}

/* The holding times (ms) the model draws for number n's first attempts
 * in [t0, t1): into *ms (owned by the caller), their count returned, or
 * -1 when memory or the model failed. */
static long
holdings(const struct bh_scenario *sc, size_t n, double t0, double t1,
         long **ms) {
    struct bh_traffic *tm;
    *ms = NULL;
    if (bh_traffic_new(sc, sc->seed, 0, &tm))
        return -1;
    long cnt = 0, cap = 0;
    struct bh_arrival a;
    while (bh_traffic_next(tm, t1, &a)) {
        if (a.t < t0 || a.attempt != 1 || a.kind != BH_SOURCE_CALLS ||
            a.target_kind != BH_TARGET_NUMBER || a.target != n)
            continue;
        if (cnt == cap) {
            cap = cap ? 2 * cap : 256;
            long *v = realloc(*ms, (size_t)cap * sizeof *v);
            if (!v) {
                free(*ms);
                *ms = NULL;
                bh_traffic_free(tm);
                return -1;
            }
            *ms = v;
        }
        double h = a.holding * 1000;
        (*ms)[cnt++] = h > 0 ? lround(h) : 0;
    }
    bh_traffic_free(tm);
    return cnt;
}

/* The message lines every request of the dialog shares. */
#define FROM_TO_CALL                                                           \
    "      From: \"busyhour\" "                                                \
    "<sip:c[call_number]@[local_ip]:[local_port]>;tag=[pid]bh[call_number]\n"  \
    "      To: <sip:%s@[remote_ip]:[remote_port]>%s\n"                         \
    "      Call-ID: [call_id]\n"

static void
write_xml(FILE *f, const struct bh_scenario *sc, const struct bh_sc_number *num,
          double rate_h, double t0, long calls, const char *base) {
    double iv = sc->interval > 0 ? sc->interval : sc->horizon;
    int h = (int)(fmod(sc->start + t0, 86400) / 3600);
    int m = (int)(fmod(sc->start + t0, 3600) / 60);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n");
    fprintf(
        f,
        "<!-- %s.xml: SIPp callers of number %s (%s) of scenario %s,\n"
        "     written by busyhour export sipp.\n\n"
        "     Run: sipp -sf %s.xml -inf %s.csv -r %.0f -rp 3600000 -m %ld "
        "HOST:PORT\n\n"
        "     What it approximates: the busiest %.0f-minute interval of the "
        "day\n"
        "     (from %02d:%02d): %.0f calls an hour, each holding for the "
        "time\n"
        "     the traffic model draws (%s.csv, one line per call, ms, "
        "read in\n"
        "     order: the %ld calls of that interval, seed %lu).\n\n"
        "     Limits (why busyhour load exists):\n"
        "     - SIPp spaces calls evenly at one rate: it cannot follow the\n"
        "       day's profile, nor draw Poisson arrivals (bursts are what\n"
        "       fill lines), so blocking and waits come out lower than at\n"
        "       the same mean rate in the scenario;\n"
        "     - no patience: callers never abandon; no retrials; no "
        "caller\n"
        "       classes, origins or plans (so no costs);\n"
        "     - IVR menus get no digit and bridge passcodes are never "
        "sent:\n"
        "       bridges and campaigns are not exported;\n"
        "     - no RTP unless you add SIPp's media (play_pcap_audio);\n"
        "     - busy (486, 503) is ACKed and ends the call: SIPp counts it\n"
        "       in its 486 and 503 columns, as a successful call.%s -->\n",
        base, num->number, num->name, sc->name, base, base, rate_h, calls,
        iv / 60, h, m, rate_h, base, calls, (unsigned long)sc->seed,
        num->queue.present
            ? "\n     - the queue: the caller waits for the reference "
              "switch's in-dialog\n       UPDATE saying an operator "
              "answered (another switch may not send\n       it), then "
              "talks"
            : "");
    fprintf(f, "<scenario name=\"busyhour %s %s\">\n", sc->name, num->name);
    /* INVITE */
    fprintf(f,
            "  <send retrans=\"500\">\n    <![CDATA[\n\n"
            "      INVITE sip:%s@[remote_ip]:[remote_port] SIP/2.0\n"
            "      Via: SIP/2.0/[transport] "
            "[local_ip]:[local_port];branch=[branch]\n" FROM_TO_CALL
            "      CSeq: 1 INVITE\n"
            "      Contact: sip:c[call_number]@[local_ip]:[local_port]\n"
            "      Max-Forwards: 70\n"
            "      Content-Type: application/sdp\n"
            "      Content-Length: [len]\n\n"
            "      v=0\n"
            "      o=busyhour 1 1 IN IP[local_ip_type] [local_ip]\n"
            "      s=-\n"
            "      c=IN IP[media_ip_type] [media_ip]\n"
            "      t=0 0\n"
            "      m=audio [media_port] RTP/AVP 0 8\n"
            "      a=rtpmap:0 PCMU/8000\n"
            "      a=rtpmap:8 PCMA/8000\n\n"
            "    ]]>\n  </send>\n",
            num->number, num->number, "");
    fprintf(f, "  <recv response=\"100\" optional=\"true\"/>\n"
               "  <recv response=\"180\" optional=\"true\"/>\n"
               "  <recv response=\"183\" optional=\"true\"/>\n"
               "  <recv response=\"486\" optional=\"true\" next=\"busy\"/>\n"
               "  <recv response=\"503\" optional=\"true\" next=\"busy\"/>\n"
               "  <recv response=\"200\">\n"
               "    <action>\n"
               "      <assignstr assign_to=\"h\" value=\"[field0]\"/>\n"
               "      <todouble assign_to=\"holding\" variable=\"h\"/>\n"
               "    </action>\n"
               "  </recv>\n");
    const char *ack = "  <send>\n    <![CDATA[\n\n"
                      "      ACK sip:%s@[remote_ip]:[remote_port] SIP/2.0\n"
                      "      Via: SIP/2.0/[transport] "
                      "[local_ip]:[local_port];branch=[branch]\n" FROM_TO_CALL
                      "      CSeq: 1 ACK\n"
                      "      Max-Forwards: 70\n"
                      "      Content-Length: 0\n\n"
                      "    ]]>\n  </send>\n";
    fprintf(f, ack, num->number, num->number, "[peer_tag_param]");
    if (num->queue.present)
        fprintf(f, "  <recv request=\"UPDATE\"/>\n"
                   "  <send>\n    <![CDATA[\n\n"
                   "      SIP/2.0 200 OK\n"
                   "      [last_Via:]\n      [last_From:]\n      [last_To:]\n"
                   "      [last_Call-ID:]\n      [last_CSeq:]\n"
                   "      Contact: sip:c[call_number]@[local_ip]:"
                   "[local_port]\n"
                   "      Content-Length: 0\n\n"
                   "    ]]>\n  </send>\n");
    fprintf(f, "  <pause variable=\"holding\"/>\n");
    fprintf(f,
            "  <send retrans=\"500\">\n    <![CDATA[\n\n"
            "      BYE sip:%s@[remote_ip]:[remote_port] SIP/2.0\n"
            "      Via: SIP/2.0/[transport] "
            "[local_ip]:[local_port];branch=[branch]\n" FROM_TO_CALL
            "      CSeq: 2 BYE\n"
            "      Max-Forwards: 70\n"
            "      Content-Length: 0\n\n"
            "    ]]>\n  </send>\n"
            "  <recv response=\"200\" crlf=\"true\" next=\"done\"/>\n",
            num->number, num->number, "[peer_tag_param]");
    /* RFC 3261 17.1.1.3: the ACK of a non-2xx final answer is hop by hop,
     * in the INVITE's transaction (its branch) */
    fprintf(f,
            "  <label id=\"busy\"/>\n"
            "  <send>\n    <![CDATA[\n\n"
            "      ACK sip:%s@[remote_ip]:[remote_port] SIP/2.0\n"
            "      [last_Via:]\n"
            "      From: \"busyhour\" "
            "<sip:c[call_number]@[local_ip]:[local_port]>;"
            "tag=[pid]bh[call_number]\n"
            "      [last_To:]\n"
            "      Call-ID: [call_id]\n"
            "      CSeq: 1 ACK\n"
            "      Max-Forwards: 70\n"
            "      Content-Length: 0\n\n"
            "    ]]>\n  </send>\n"
            "  <label id=\"done\"/>\n"
            "</scenario>\n",
            num->number);
}

/* A file name from a number's name: letters, digits, '-', '_', '.'. */
static void
file_base(const char *name, char *out, size_t size) {
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 1 < size; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                 (c == '.' && i > 0);
        out[j++] = ok ? c : '_';
    }
    out[j] = '\0';
}

static int
write_number(const struct bh_scenario *sc, size_t n, const char *dir,
             struct bh_export_sipp *out, struct bh_diag *diag) {
    const struct bh_sc_number *num = &sc->sw.numbers[n];
    double t0;
    double rate = busiest(sc, n, &t0); /* per s */
    if (!(rate > 0))
        return 0;
    double iv = sc->interval > 0 ? sc->interval : sc->horizon;
    double t1 = t0 + iv < sc->horizon ? t0 + iv : sc->horizon;
    long *ms;
    long cnt = holdings(sc, n, t0, t1, &ms);
    if (cnt < 0)
        return BH_ENOMEM;
    if (cnt == 0) { /* a rare interval drew nothing: one mean call */
        free(ms);
        ms = malloc(sizeof *ms);
        if (!ms)
            return BH_ENOMEM;
        ms[0] = 0;
        for (size_t i = 0; i < sc->nsources; i++)
            if (sc->sources[i].kind == BH_SOURCE_CALLS &&
                sc->sources[i].target_kind == BH_TARGET_NUMBER &&
                (size_t)sc->sources[i].target == n) {
                ms[0] = lround(1000 * bh_traffic_holding(sc, i));
                break;
            }
        cnt = 1;
    }
    char base[BH_SC_MAX_NAME], path[4096];
    file_base(num->name, base, sizeof base);
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        snprintf(path, sizeof path, "%s/%s.%s", dir, base, k ? "csv" : "xml");
        FILE *f = fopen(path, "w");
        if (!f) {
            bh_diag_set(diag, 0, 0, "cannot write %s: %s", path,
                        strerror(errno));
            rc = BH_EIO;
            break;
        }
        if (k == 0) {
            write_xml(f, sc, num, rate * 3600, t0, cnt, base);
        } else {
            fprintf(f, "SEQUENTIAL\n");
            for (long i = 0; i < cnt; i++)
                fprintf(f, "%ld;\n", ms[i]);
        }
        if (fclose(f) != 0) {
            bh_diag_set(diag, 0, 0, "cannot write %s", path);
            rc = BH_EIO;
        }
    }
    free(ms);
    if (!rc && out->n < BH_EXPORT_MAX_FILES) {
        struct bh_export_file *e = &out->files[out->n++];
        snprintf(e->base, sizeof e->base, "%s", base);
        snprintf(e->number, sizeof e->number, "%s", num->number);
        e->calls_per_hour = rate * 3600;
        e->interval_start = t0;
        e->calls = cnt;
    }
    return rc;
}

int
bh_driver_export_sipp(const struct bh_scenario *sc, const char *dir,
                      struct bh_export_sipp *out, struct bh_diag *diag) {
    memset(out, 0, sizeof *out);
    if (diag) {
        memset(diag, 0, sizeof *diag);
        snprintf(diag->file, sizeof diag->file, "%s", dir ? dir : "");
    }
    if (!sc || !dir || !*dir)
        return BH_EINVAL;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        bh_diag_set(diag, 0, 0, "cannot create the folder: %s",
                    strerror(errno));
        return BH_EIO;
    }
    for (size_t n = 0; n < sc->sw.nnumbers; n++) {
        int rc = write_number(sc, n, dir, out, diag);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < sc->nsources; i++)
        if (sc->sources[i].kind != BH_SOURCE_CALLS ||
            sc->sources[i].target_kind != BH_TARGET_NUMBER)
            out->skipped++;
    return 0;
}
