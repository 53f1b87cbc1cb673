/* recording.c: WAV files of room mixes through libsndfile (recording.h). */
#include "recording.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>

struct bh_recording {
    SNDFILE *f;
    uint64_t samples;
    size_t n; /* buffered */
    int16_t buf[BH_RECORDING_BLOCK];
};

int
bh_recording_open(const char *path, struct bh_recording **out, char *err,
                  size_t errlen) {
    *out = NULL;
    struct bh_recording *r = calloc(1, sizeof *r);
    if (!r)
        return BH_ENOMEM;
    SF_INFO info = {.samplerate = 8000,
                    .channels = 1,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    r->f = sf_open(path, SFM_WRITE, &info);
    if (!r->f) {
        snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
        free(r);
        return BH_EIO;
    }
    *out = r;
    return 0;
}

static int
flush(struct bh_recording *r) {
    if (r->n == 0)
        return 0;
    sf_count_t want = (sf_count_t)r->n;
    sf_count_t w = sf_write_short(r->f, r->buf, want);
    r->n = 0;
    return w == want ? 0 : BH_EIO;
}

int
bh_recording_write(struct bh_recording *r, const int16_t *pcm, size_t n) {
    int rc = 0;
    while (n > 0) {
        size_t k = BH_RECORDING_BLOCK - r->n;
        if (k > n)
            k = n;
        for (size_t i = 0; i < k; i++)
            r->buf[r->n + i] = pcm[i];
        r->n += k;
        r->samples += k;
        pcm += k;
        n -= k;
        if (r->n == BH_RECORDING_BLOCK && flush(r))
            rc = BH_EIO;
    }
    return rc;
}

uint64_t
bh_recording_samples(const struct bh_recording *r) {
    return r->samples;
}

int
bh_recording_close(struct bh_recording *r) {
    if (!r)
        return 0;
    int rc = flush(r);
    if (sf_close(r->f) != 0)
        rc = BH_EIO;
    free(r);
    return rc;
}
