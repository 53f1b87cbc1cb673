/* render.h: helpers shared by the report writers (internal to reports/):
 * figures formatted with their intervals, threshold expressions taken
 * apart, and name lookups across several results files. */
#ifndef BH_RENDER_H
#define BH_RENDER_H

#include "reports.h"

enum rd_unit {
    RU_COUNT,   /* calls: "1000" or "12.5" */
    RU_ERLANG,  /* "17.5 E" */
    RU_PERCENT, /* share shown as "3.20%" */
    RU_SECONDS, /* "11.3 s" */
    RU_MONEY    /* "1234.57" */
};

/* "mean [lo, hi]" in a unit; "—" (or "-" when ascii) for NaN; the interval
 * only when it has a width. */
void rd_fmt(char *buf, size_t size, struct bh_estimate e, enum rd_unit u,
            bool ascii);
/* An interval clipped to what the unit can hold for display: shares to
 * [0, 1], other figures to >= 0 (a Student-t interval over few
 * replications can reach past them). Means are left alone. */
struct bh_estimate rd_clip(struct bh_estimate e, enum rd_unit u);
/* One number in a unit, no interval. */
void rd_fmt1(char *buf, size_t size, double v, enum rd_unit u, bool ascii);

/* A threshold expression taken apart: "hotline.service_level(20s) >= 80%"
 * gives metric "hotline.service_level(20s)", op ">=", limit "80%", and the
 * unit the limit is written in. Returns false when there is no operator. */
struct rd_expr {
    char metric[160];
    char op[3];
    char limit[64];
    enum rd_unit unit;
    bool upper; /* compared on the upper bound ("<", "<=") */
};
bool rd_parse_expr(const char *expr, struct rd_expr *out);

/* Writes s escaped for XML and HTML text and for attribute values in
 * double quotes (the only quotes the writers use; an apostrophe is kept
 * as it is): <, >, & and " as entities, control characters other than tab
 * and newline dropped (XML 1.0 allows none). */
void rd_escape(FILE *out, const char *s);

/* Index of a target by name in r, or -1. */
int rd_find_target(const struct bh_results *r, const char *name);

/* Clock "HH:MM" of t s since the horizon start that began at `start` s
 * after midnight. */
void rd_clock(char *buf, size_t size, double start, double t);

/* Every unique target name over all results files, first file's order
 * first; returns the count (names borrowed from the results). */
size_t rd_target_names(const struct bh_report *rep, const char **names,
                       size_t max);

/* Does any results file carry a provider's termination revenue (> 0)? */
bool rd_has_provider_revenue(const struct bh_report *rep);

/* Service-level target times (s) used anywhere, sorted, unique. */
size_t rd_sl_times(const struct bh_report *rep, double *times, size_t max);

/* The service level at time t of a target, or NaN. */
struct bh_estimate rd_target_sl(const struct bh_target_result *t, double t_s);

/* A target's capacity as its results give it: "75 lines, 65 operators",
 * "184 ports"; "" for a campaign (it has the lines of its number). */
void rd_capacity(char *buf, size_t size, const struct bh_target_result *t);
/* A target's lines (ports), or its operators, as an exact figure for a
 * table row; NaN when it has none (a campaign's, a number's without a
 * queue). */
struct bh_estimate rd_capacity_figure(const struct bh_target_result *t,
                                      bool operators);
/* Do all the files that hold target `name` give it the same capacity? */
bool rd_same_capacity(const struct bh_report *rep, const char *name);
/* Do they agree on every target? */
bool rd_capacities_agree(const struct bh_report *rep);
/* Every number's and bridge's capacity in r: "hotline 75 lines, 65
 * operators; conf 184 ports". */
void rd_file_capacity(char *buf, size_t size, const struct bh_results *r);

#endif
