/* chart.c: SVG charts drawn by gnuplot (`set terminal svg`), returned as
 * text ready to inline into an HTML page. */
#include "reports.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define CHART_MAX_SVG (16L << 20) /* bytes of one chart's SVG */

/* A growable text buffer. */
struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void bprintf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
bprintf(struct buf *b, const char *fmt, ...) {
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n =
            vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

/* A gnuplot string literal: single quotes, a quote doubled. */
static void
bquote(struct buf *b, const char *s) {
    bprintf(b, "'");
    for (; s && *s; s++) {
        if (*s == '\'')
            bprintf(b, "''");
        else if ((unsigned char)*s >= 0x20)
            bprintf(b, "%c", *s);
    }
    bprintf(b, "'");
}

/* A gnuplot string in double quotes (backslash and quote escaped), its
 * spaces turned into line breaks when `wrap`. */
static void
bquote_lines(struct buf *b, const char *s, bool wrap) {
    bprintf(b, "\"");
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            bprintf(b, "\\%c", *s);
        else if (*s == ' ' && wrap)
            bprintf(b, "\\n");
        else if ((unsigned char)*s >= 0x20)
            bprintf(b, "%c", *s);
    }
    bprintf(b, "\"");
}

static void
bnum(struct buf *b, double v) {
    if (isfinite(v))
        bprintf(b, " %.10g", v);
    else
        bprintf(b, " NaN"); /* gnuplot: an undefined point, not drawn */
}

/* Series colours: readable on white, distinguishable in grey. */
static const char *const colours[] = {"#1f5fa8", "#d9681c", "#2e8b3a",
                                      "#8e3fa8", "#b0302a", "#6b6b6b"};
#define NCOLOURS (sizeof colours / sizeof *colours)

/* Vertical offset between stacked labels of vertical marks, and the
 * horizontal one between labels of horizontal marks (graph units). */
#define CHART_LABEL_STEP 0.075
#define CHART_LABEL_SPREAD 0.3

/* One data row: x y lo hi (scaled). */
static void
row(struct buf *b, double x, const struct bh_chart_series *s, size_t k,
    double sc) {
    bnum(b, x);
    bnum(b, s->y[k] * sc);
    bnum(b, s->lo ? s->lo[k] * sc : NAN);
    bnum(b, s->hi ? s->hi[k] * sc : NAN);
    bprintf(b, "\n");
}

/* The width of value k of a step series: up to the next x, or the one
 * before for the last; 0 when the series has a single value. */
static double
step_of(const struct bh_chart_series *s, size_t k) {
    if (!s->x)
        return 1;
    double d = k + 1 < s->n ? s->x[k + 1] - s->x[k]
               : k > 0      ? s->x[k] - s->x[k - 1]
                            : 0;
    return isfinite(d) && d > 0 ? d : 0;
}

/* Is value k drawn by no line (finite, with no finite neighbour)? With k
 * SIZE_MAX: has the series any such value? Bars and points draw every
 * value, and lines with points mark them already. */
static bool
isolated(const struct bh_chart_series *s, size_t k) {
    if (s->style != BH_CHART_LINES && s->style != BH_CHART_STEPS)
        return false;
    if (k == SIZE_MAX) {
        for (size_t j = 0; j < s->n; j++)
            if (isolated(s, j))
                return true;
        return false;
    }
    return isfinite(s->y[k]) && (k == 0 || !isfinite(s->y[k - 1])) &&
           (k + 1 >= s->n || !isfinite(s->y[k + 1]));
}

/* The span of x the series cover (for placing labels). */
static void
x_range(const struct bh_chart *c, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < c->nseries; i++)
        for (size_t k = 0; k < c->series[i].n; k++) {
            double x = c->series[i].x ? c->series[i].x[k] : (double)k;
            if (isfinite(x) && x < *lo)
                *lo = x;
            if (isfinite(x) && x > *hi)
                *hi = x;
        }
}

static void
script(struct buf *b, const struct bh_chart *c, const char *out) {
    bprintf(b,
            "set terminal svg size %d,%d dynamic noenhanced "
            "font 'sans,11' background '#ffffff'\n",
            c->width > 0 ? c->width : 760, c->height > 0 ? c->height : 340);
    bprintf(b, "set output ");
    bquote(b, out);
    bprintf(b, "\nset encoding utf8\nset grid ytics lc rgb '#dddddd'\n"
               "set key outside bottom center horizontal\n"
               "set border 3\nset tics nomirror\n");
    if (c->title) {
        bprintf(b, "set title ");
        bquote(b, c->title);
        bprintf(b, "\n");
    }
    if (c->xlabel) {
        bprintf(b, "set xlabel ");
        bquote(b, c->xlabel);
        bprintf(b, "\n");
    }
    if (c->ylabel) {
        bprintf(b, "set ylabel ");
        bquote(b, c->ylabel);
        bprintf(b, "\n");
    }
    bool any_y2 = false;
    for (size_t i = 0; i < c->nseries; i++)
        any_y2 |= c->series[i].y2;
    if (any_y2) {
        bprintf(b, "set y2tics\nset border 11\n");
        if (c->y2label) {
            bprintf(b, "set y2label ");
            bquote(b, c->y2label);
            bprintf(b, "\n");
        }
        if (c->y2_percent)
            bprintf(b, "set format y2 '%%g%%%%'\n");
        /* a share, and a cost beside a figure from zero, start at zero
         * too: a cost axis from 129,800 makes a 1% change look 10-fold */
        if (c->y2_percent || c->y_from_zero)
            bprintf(b, "set y2range [0:*]\n");
    }
    if (c->y_percent)
        bprintf(b, "set format y '%%g%%%%'\n");
    if (c->y_from_zero) {
        /* Room for the data and for every horizontal mark (a capacity
         * above the load must still show). */
        double top = 0;
        for (size_t i = 0; i < c->nseries; i++) {
            const struct bh_chart_series *s = &c->series[i];
            double sc = s->scale != 0 ? s->scale : 1;
            for (size_t k = 0; !s->y2 && k < s->n; k++) {
                double v[2] = {s->y[k] * sc, s->hi ? s->hi[k] * sc : NAN};
                for (int j = 0; j < 2; j++)
                    if (isfinite(v[j]) && v[j] > top)
                        top = v[j];
            }
        }
        bool marked = false;
        for (size_t i = 0; i < c->nmarks; i++)
            if (c->marks[i].horizontal && isfinite(c->marks[i].at) &&
                c->marks[i].at >= top) {
                top = c->marks[i].at;
                marked = true;
            }
        if (marked && top > 0)
            bprintf(b, "set yrange [0:%.10g]\n", top * 1.1);
        else
            bprintf(b, "set yrange [0:*]\n");
    }
    if (c->x_clock) {
        /* Past one day the tics say which day: "day 002" over "08:00"
         * (gnuplot counts days of the year from 001 at time 0). */
        bool days = false;
        for (size_t i = 0; i < c->nseries; i++)
            for (size_t k = 0; c->series[i].x && k < c->series[i].n; k++)
                days |= c->series[i].x[k] >= 86400;
        bprintf(b, "set xdata time\nset timefmt '%%s'\n%s\n",
                days ? "set format x \"day %j\\n%H:%M\"\nset xtics rotate "
                       "by 0"
                     : "set format x '%H:%M'");
    }
    if (c->ncategories) {
        /* Long or many names: one word a line under their bar (slanted
         * ones ran off the chart's left edge). */
        size_t longest = 0;
        for (size_t i = 0; i < c->ncategories; i++)
            if (strlen(c->categories[i]) > longest)
                longest = strlen(c->categories[i]);
        bool wrap = longest * c->ncategories > 60;
        if (wrap) {
            /* gnuplot does not make room for tic labels of several
             * lines: a bottom margin of their lines, the key on top */
            int lines = 1;
            for (size_t i = 0; i < c->ncategories; i++) {
                int n = 1;
                for (const char *p = c->categories[i]; *p; p++)
                    n += *p == ' ';
                if (n > lines)
                    lines = n;
            }
            bprintf(b,
                    "set bmargin %d\nset key outside top center "
                    "horizontal\n",
                    lines + 2);
        }
        bprintf(b, "set xtics (");
        for (size_t i = 0; i < c->ncategories; i++) {
            bprintf(b, "%s", i ? ", " : "");
            bquote_lines(b, c->categories[i], wrap);
            bprintf(b, " %zu", i);
        }
        /* no tic marks: at a category they fall between its bars */
        bprintf(b, ") scale 0\n");
        bprintf(b,
                "set xrange [-0.6:%g]\nset style fill solid 0.8 "
                "border -1\n",
                (double)c->ncategories - 0.4);
    }
    /* Labels of marks: vertical ones stacked down from the top and, in
     * the right part of the x range, written to the left of their line
     * (not cut at the edge); horizontal ones spread along x, so that two
     * close marks ("today", "recommended"; lines and operators) never
     * print over each other. */
    double xmin, xmax;
    x_range(c, &xmin, &xmax);
    int nvert = 0, nhoriz = 0;
    for (size_t i = 0; i < c->nmarks; i++) {
        const struct bh_chart_mark *m = &c->marks[i];
        if (!isfinite(m->at))
            continue;
        if (m->horizontal)
            bprintf(b,
                    "set arrow from graph 0, first %.10g to graph 1, "
                    "first %.10g nohead dt 2 lw 1.5 lc rgb '%s'\n",
                    m->at, m->at, m->colour ? m->colour : "#b0302a");
        else
            bprintf(b,
                    "set arrow from first %.10g, graph 0 to first "
                    "%.10g, graph 1 nohead dt 2 lw 1.5 lc rgb '%s'\n",
                    m->at, m->at, m->colour ? m->colour : "#b0302a");
        if (m->label) {
            bprintf(b, "set label ");
            bquote(b, m->label);
            if (m->horizontal)
                bprintf(b,
                        " at graph %.4g, first %.10g offset 0,0.6 "
                        "tc rgb '%s'\n",
                        0.01 + CHART_LABEL_SPREAD * (nhoriz++ % 3), m->at,
                        m->colour ? m->colour : "#b0302a");
            else {
                bool left = xmax > xmin && m->at > xmin + 0.55 * (xmax - xmin);
                bprintf(b,
                        " at first %.10g, graph %.4g %s offset %s,0 "
                        "tc rgb '%s'\n",
                        m->at, 0.95 - CHART_LABEL_STEP * (nvert++ % 8),
                        left ? "right" : "left", left ? "-0.5" : "0.5",
                        m->colour ? m->colour : "#b0302a");
            }
        }
    }
    /* Data as inline blocks: x y lo hi. */
    for (size_t i = 0; i < c->nseries; i++) {
        const struct bh_chart_series *s = &c->series[i];
        bprintf(b, "$d%zu << EOD\n", i);
        size_t ns = c->ncategories ? c->nseries : 1;
        double sc = s->scale != 0 ? s->scale : 1;
        double width = 0.8 / (double)ns;
        for (size_t k = 0; k < s->n; k++) {
            double x = s->x ? s->x[k] : (double)k;
            if (c->ncategories)
                x = (double)k + ((double)i - ((double)ns - 1) / 2) * width;
            row(b, x, s, k, sc);
            /* steps as explicit segments: each value held over its own
             * interval, the last one and one between gaps included */
            if (s->style == BH_CHART_STEPS && !c->ncategories &&
                isfinite(s->y[k]) && step_of(s, k) > 0)
                row(b, x + step_of(s, k), s, k, sc);
        }
        bprintf(b, "EOD\n");
        /* values with no finite neighbour, which a line does not draw */
        if (isolated(s, SIZE_MAX) && !c->ncategories) {
            bprintf(b, "$i%zu << EOD\n", i);
            for (size_t k = 0; k < s->n; k++)
                if (isolated(s, k)) {
                    double x = s->x ? s->x[k] : (double)k;
                    if (s->style == BH_CHART_STEPS)
                        x += step_of(s, k) / 2;
                    row(b, x, s, k, sc);
                }
            bprintf(b, "EOD\n");
        }
    }
    if (c->ncategories)
        bprintf(b, "set boxwidth %g\n", 0.8 / (double)c->nseries * 0.9);
    bprintf(b, "plot ");
    bool first = true;
    for (size_t i = 0; i < c->nseries; i++) {
        const struct bh_chart_series *s = &c->series[i];
        const char *col = s->colour ? s->colour : colours[i % NCOLOURS];
        const char *ax = s->y2 ? " axes x1y2" : "";
        bool ci = s->lo && s->hi;
        if (ci && s->style != BH_CHART_BARS && s->style != BH_CHART_POINTS) {
            bprintf(b,
                    "%s$d%zu using 1:3:4%s with filledcurves "
                    "fs transparent solid 0.18 noborder lc rgb '%s' "
                    "notitle",
                    first ? "" : ", ", i, ax, col);
            first = false;
        }
        bprintf(b, "%s$d%zu using 1:2%s with ", first ? "" : ", ", i, ax);
        first = false;
        switch (s->style) {
        case BH_CHART_STEPS: /* the data block holds the steps' corners */
            bprintf(b, "lines lw 2");
            break;
        case BH_CHART_POINTS:
            bprintf(b, "points pt 7 ps 0.8");
            break;
        case BH_CHART_LINESPOINTS:
            bprintf(b, "linespoints pt 7 ps 0.6 lw 2");
            break;
        case BH_CHART_BARS:
            bprintf(b, "boxes");
            break;
        default:
            bprintf(b, "lines lw 2");
        }
        if (s->dashed)
            bprintf(b, " dt 2");
        bprintf(b, " lc rgb '%s' title ", col);
        bquote(b, s->title ? s->title : "");
        if (ci && (s->style == BH_CHART_BARS || s->style == BH_CHART_POINTS))
            bprintf(b,
                    /* whiskers as vectors: gnuplot's error bars put a
                       white disc on every point */
                    ", $d%zu using 1:3:(0):($4-$3)%s with vectors nohead "
                    "lw 1.5 lc rgb '#222222' notitle",
                    i, ax);
        if (isolated(s, SIZE_MAX) && !c->ncategories) {
            bprintf(b,
                    ", $i%zu using 1:2%s with points pt 7 ps 0.9 lc rgb "
                    "'%s' notitle",
                    i, ax, col);
            if (ci)
                bprintf(b,
                        ", $i%zu using 1:3:(0):($4-$3)%s with vectors "
                        "nohead lw 1.5 lc rgb '%s' notitle",
                        i, ax, col);
        }
    }
    bprintf(b, "\n");
}

static int
run_gnuplot(const char *gnuplot, const char *script_path, const char *err_path,
            struct bh_diag *d) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, err_path,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    char *argv[] = {(char *)gnuplot, (char *)script_path, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, gnuplot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        bh_diag_set(d, 0, 0,
                    "cannot run %s (%s): charts need gnuplot (Debian "
                    "package gnuplot-nox)",
                    gnuplot, strerror(rc));
        return BH_ENOENT;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            bh_diag_set(d, 0, 0, "waiting for gnuplot: %s", strerror(errno));
            return BH_EIO;
        }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        bh_diag_set(d, 0, 0,
                    "cannot run %s: charts need gnuplot (Debian package "
                    "gnuplot-nox)",
                    gnuplot);
        return BH_ENOENT;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char msg[300] = "";
        FILE *f = fopen(err_path, "r");
        if (f) {
            size_t n = fread(msg, 1, sizeof msg - 1, f);
            msg[n] = '\0';
            fclose(f);
        }
        for (char *p = msg; *p; p++)
            if (*p == '\n')
                *p = ' ';
        bh_diag_set(d, 0, 0, "gnuplot failed: %s", msg);
        return BH_EIO;
    }
    return 0;
}

static char *
slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && !b.oom) {
        if (b.len + n > CHART_MAX_SVG) {
            b.oom = true;
            break;
        }
        bprintf(&b, "%.*s", (int)n, chunk);
    }
    fclose(f);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p ? b.p : strdup("");
}

/* Inline form: no XML prologue, ids prefixed so that several charts can
 * share a page ("gpPt3" -> "c7-gpPt3", also in "#gpPt3" references). */
static char *
inline_svg(const char *svg, int id) {
    const char *start = strstr(svg, "<svg");
    if (!start)
        return NULL;
    struct buf b = {0};
    char pre[32];
    snprintf(pre, sizeof pre, "c%d-", id);
    for (const char *p = start; *p;) {
        if (strncmp(p, "id='gp", 6) == 0 || strncmp(p, "id=\"gp", 6) == 0) {
            bprintf(&b, "%.4s%s", p, pre);
            p += 4;
        } else if (strncmp(p, "#gp", 3) == 0) {
            bprintf(&b, "#%s", pre);
            p += 1;
        } else {
            const char *q = p + 1;
            while (*q && *q != 'i' && *q != '#')
                q++;
            bprintf(&b, "%.*s", (int)(q - p), p);
            p = q;
        }
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int
bh_chart_svg(const struct bh_chart *c, char **svg, struct bh_diag *d) {
    struct bh_diag scratch;
    if (!d)
        d = &scratch;
    if (!c || !svg)
        return BH_EINVAL;
    *svg = NULL;
    const char *gnuplot = c->gnuplot ? c->gnuplot : getenv("BH_GNUPLOT");
    if (!gnuplot || !*gnuplot)
        gnuplot = "gnuplot";
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bh-chart-XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        bh_diag_set(d, 0, 0, "cannot make a temporary folder in %s: %s", tmp,
                    strerror(errno));
        return BH_EIO;
    }
    char sp[600], op[600], ep[600];
    snprintf(sp, sizeof sp, "%s/chart.gp", dir);
    snprintf(op, sizeof op, "%s/chart.svg", dir);
    snprintf(ep, sizeof ep, "%s/gnuplot.log", dir);
    struct buf b = {0};
    script(&b, c, op);
    int rc = 0;
    if (b.oom) {
        rc = BH_ENOMEM;
        bh_diag_set(d, 0, 0, "out of memory");
    } else {
        FILE *f = fopen(sp, "w");
        if (!f || fwrite(b.p, 1, b.len, f) != b.len) {
            rc = BH_EIO;
            bh_diag_set(d, 0, 0, "cannot write %s", sp);
        }
        if (f && fclose(f) != 0 && !rc) {
            rc = BH_EIO;
            bh_diag_set(d, 0, 0, "cannot write %s", sp);
        }
    }
    free(b.p);
    if (!rc)
        rc = run_gnuplot(gnuplot, sp, ep, d);
    if (!rc) {
        size_t len = 0;
        char *raw = slurp(op, &len);
        if (!raw || !strstr(raw, "<svg")) {
            rc = BH_EIO;
            bh_diag_set(d, 0, 0, "gnuplot wrote no SVG");
        } else {
            *svg = inline_svg(raw, c->id);
            if (!*svg) {
                rc = BH_ENOMEM;
                bh_diag_set(d, 0, 0, "out of memory");
            }
        }
        free(raw);
    }
    unlink(sp);
    unlink(op);
    unlink(ep);
    rmdir(dir);
    return rc;
}
