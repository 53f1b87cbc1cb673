/* record.c: call outcomes by name and the call record as a CSV row. */
#include "records.h"

#include <string.h>

#define NAME_(name, str) [BH_OUTCOME_##name] = str,
static const char *const outcome_names[] = {BH_OUTCOME_MAP(NAME_)};
#undef NAME_

const char *
bh_outcome_name(enum bh_outcome o) {
    if ((unsigned)o >= sizeof outcome_names / sizeof *outcome_names)
        return "unknown";
    return outcome_names[o];
}

int
bh_outcome_parse(const char *name, enum bh_outcome *out) {
    for (size_t i = 0; i < sizeof outcome_names / sizeof *outcome_names; i++)
        if (name && strcmp(name, outcome_names[i]) == 0) {
            *out = (enum bh_outcome)i;
            return 0;
        }
    return BH_EINVAL;
}

void
bh_call_record_csv_header(FILE *out) {
    fputs(BH_CALL_RECORD_CSV_COLUMNS "\n", out);
}

/* A time with microsecond precision, or empty when it did not happen. */
static void
put_time(FILE *out, double t) {
    if (t < 0)
        fputs(",", out);
    else
        fprintf(out, ",%.6f", t);
}

void
bh_call_record_csv(FILE *out, const struct bh_call_record *rec,
                   const struct bh_scenario *sc) {
    const char *src =
        rec->source < sc->nsources ? sc->sources[rec->source].name : "?";
    const char *target = "?";
    if (rec->target_kind == BH_TARGET_NUMBER && rec->target < sc->sw.nnumbers)
        target = sc->sw.numbers[rec->target].name;
    else if (rec->target_kind == BH_TARGET_BRIDGE &&
             rec->target < sc->sw.nbridges)
        target = sc->sw.bridges[rec->target].name;
    const char *origin = "";
    if (sc->tariffs.present && rec->origin < sc->tariffs.norigins)
        origin = sc->tariffs.origins[rec->origin];
    const char *plan = "";
    if (sc->tariffs.present && rec->plan >= 0 &&
        (size_t)rec->plan < sc->tariffs.nplans)
        plan = sc->tariffs.plans[rec->plan].name;
    char cost[48];
    bh_format_money(rec->cost, 6, cost, sizeof cost);
    fprintf(out, "%u,%llu,%s,%s,%u,%s,%s,%s,%u,%u,%u,%llu",
            (unsigned)rec->replication, (unsigned long long)rec->id, src,
            target, (unsigned)rec->caller_class, origin, plan,
            rec->payer == BH_PAYER_CALLEE ? "company" : "caller",
            (unsigned)rec->outbound, (unsigned)rec->subscriber,
            (unsigned)rec->attempt, (unsigned long long)rec->meeting);
    put_time(out, rec->arrival);
    put_time(out, rec->answer);
    put_time(out, rec->connect);
    put_time(out, rec->end);
    fprintf(out, ",%s,%.6f,%.6f,%d,%d,%s,%d\n",
            bh_outcome_name((enum bh_outcome)rec->outcome), rec->wait,
            rec->talk, (int)rec->line, (int)rec->agent, cost,
            rec->arrival < sc->sim.warmup);
}
