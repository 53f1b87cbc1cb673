/* dtmf.c: telephone events in RTP (RFC 4733), sending and receiving. */
#include "proto.h"

#include <string.h>

int
bh_dtmf_from_char(char c) {
    /* RFC 4733 3.2, table 7 */
    if (c >= '0' && c <= '9')
        return c - '0';
    switch (c) {
    case '*':
        return 10;
    case '#':
        return 11;
    case 'A':
    case 'a':
        return 12;
    case 'B':
    case 'b':
        return 13;
    case 'C':
    case 'c':
        return 14;
    case 'D':
    case 'd':
        return 15;
    default:
        return -1;
    }
}

char
bh_dtmf_to_char(uint8_t event) {
    static const char map[] = "0123456789*#ABCD";
    return event < 16 ? map[event] : 0;
}

int
bh_dtmf_parse(const uint8_t *p, size_t len, struct bh_dtmf_event *ev) {
    /* RFC 4733 2.3: event (8) | E R volume (1 1 6) | duration (16) */
    if (p == NULL || len < 4)
        return BH_EPARSE;
    ev->event = p[0];
    ev->end = (p[1] >> 7) & 1;
    ev->volume = p[1] & 0x3F;
    ev->duration = (uint16_t)((p[2] << 8) | p[3]);
    return 0;
}

int
bh_dtmf_build(uint8_t *p, size_t size, const struct bh_dtmf_event *ev) {
    if (size < 4)
        return BH_ETOOBIG;
    if (ev->volume > 63)
        return BH_EINVAL;
    p[0] = ev->event;
    p[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume); /* R = 0 */
    p[2] = (uint8_t)(ev->duration >> 8);
    p[3] = (uint8_t)ev->duration;
    return 4;
}

void
bh_dtmf_rx_init(struct bh_dtmf_rx *rx) {
    memset(rx, 0, sizeof *rx);
}

int
bh_dtmf_rx_packet(struct bh_dtmf_rx *rx, const struct bh_rtp_hdr *h,
                  char *digit) {
    struct bh_dtmf_event ev;
    if (bh_dtmf_parse(h->payload, h->payload_len, &ev) != 0)
        return BH_EPARSE;
    /* RFC 4733 2.5.2.1: packets of one event share its timestamp; a new
     * timestamp is a new event. Older timestamps are late packets of an
     * event already reported. */
    if (rx->have_last && bh_rtp_ts_diff(h->ts, rx->last_ts) <= 0)
        return 0;
    char c = bh_dtmf_to_char(ev.event);
    if (c == 0)
        return 0; /* not a DTMF event (e.g. a line event): ignored */
    rx->have_last = 1;
    rx->last_ts = h->ts;
    *digit = c;
    return 1;
}

int
bh_dtmf_tx_start(struct bh_dtmf_tx *tx, char digit, uint32_t ts,
                 uint16_t duration, uint16_t step) {
    int ev = bh_dtmf_from_char(digit);
    if (ev < 0 || step == 0 || duration == 0)
        return BH_EINVAL;
    memset(tx, 0, sizeof *tx);
    tx->event = (uint8_t)ev;
    tx->volume = 10; /* -10 dBm0, a typical keypad level */
    tx->ts = ts;
    tx->duration = duration;
    tx->step = step;
    tx->ends_left = 3; /* RFC 4733 2.5.1.4: end packet sent three times */
    tx->first = 1;
    return 0;
}

int
bh_dtmf_tx_next(struct bh_dtmf_tx *tx, uint8_t *p, int *marker) {
    if (tx->ends_left == 0)
        return 0;
    struct bh_dtmf_event ev = {tx->event, 0, tx->volume, 0};
    if ((uint32_t)tx->sent + tx->step < tx->duration) {
        tx->sent = (uint16_t)(tx->sent + tx->step);
    } else {
        tx->sent = tx->duration;
        ev.end = 1;
        tx->ends_left--;
    }
    ev.duration = tx->sent;
    *marker = tx->first; /* RFC 4733 2.5.1.3: M bit on the first packet */
    tx->first = 0;
    bh_dtmf_build(p, 4, &ev);
    return 1;
}
