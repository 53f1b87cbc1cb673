/* recording.h: a room's mix to a WAV file (16-bit PCM, 8 kHz, mono)
 * through libsndfile, written in blocks of a second so that the 20 ms
 * tick does not make a system call per room and frame. */
#ifndef BH_RECORDING_H
#define BH_RECORDING_H

#include "bh.h"

#include <stddef.h>
#include <stdint.h>

#define BH_RECORDING_BLOCK 8000 /* samples buffered before a write (1 s) */

struct bh_recording;

/* Creates (or truncates) the WAV file at path (borrowed). Returns 0, or
 * BH_EIO with libsndfile's reason in err (at most errlen bytes), or
 * BH_ENOMEM. */
int bh_recording_open(const char *path, struct bh_recording **out, char *err,
                      size_t errlen);
/* Appends n samples. Returns 0 or BH_EIO (the disk is full...; the
 * samples are lost, the file stays valid up to the last block). */
int bh_recording_write(struct bh_recording *r, const int16_t *pcm, size_t n);
/* Samples written so far, buffered ones included. */
uint64_t bh_recording_samples(const struct bh_recording *r);
/* Writes what is buffered, completes the WAV header and frees r. Returns
 * 0 or BH_EIO. NULL is harmless. */
int bh_recording_close(struct bh_recording *r);

#endif
