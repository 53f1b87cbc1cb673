#!/bin/sh
# run.sh: the simulator benchmark. Builds nothing: give it the build
# folder holding bench/sim/bench_sim (a Release build, no sanitizers).
#   bench/sim/run.sh BUILD_DIR [SIMPY_DAYS [RUNS]]
# Prints "key value" lines: busyhour events/s and calls/s on one core
# (1,000 lines, 90% load, one simulated week), SimPy's calls/s on the
# same model (a shorter horizon, default 1 day, since it is slow: the
# trunk is in steady state after a few holding times, so calls/s does not
# depend on the horizon), their ratio, and max RSS at 1 and 4 weeks to
# show memory stays flat. Each engine runs RUNS times (default 3); the
# best and the median run are printed. Rates use CPU time, so a busy
# shared machine skews them less; wall-clock rates are printed too.
set -eu
build=${1:?usage: run.sh BUILD_DIR [SIMPY_DAYS [RUNS]]}
simpy_days=${2:-1}
runs=${3:-3}
here=$(dirname "$0")
bench=$build/bench/sim/bench_sim
[ -x "$bench" ] || { echo "run.sh: no $bench (build target bench_sim)" >&2; exit 2; }
py=/usr/bin/python3 # Debian's, where python3-simpy is installed

get() { sed -n "s/^$1 //p"; }
# best and median of the numbers on stdin, one a line
best() { sort -g | tail -n 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

bh=""
sp=""
i=0
while [ "$i" -lt "$runs" ]; do
    bh="$bh$("$bench" --days 7)
"
    sp="$sp$("$py" "$here/mmnn_simpy.py" --days "$simpy_days")
"
    i=$((i + 1))
done
month=$("$bench" --days 28)
week=$("$bench" --days 7)

for k in events_per_s calls_per_s events_per_wall_s; do
    echo "busyhour_${k}_best $(echo "$bh" | get $k | best)"
    echo "busyhour_${k}_median $(echo "$bh" | get $k | median)"
done
echo "busyhour_week_calls $(echo "$week" | get calls)"
echo "busyhour_week_events $(echo "$week" | get events)"
echo "busyhour_week_cpu_seconds_best $(echo "$bh" | get cpu_seconds | sort -g | head -n 1)"
echo "busyhour_week_wall_seconds_best $(echo "$bh" | get wall_seconds | sort -g | head -n 1)"
echo "busyhour_week_blocking $(echo "$week" | get blocking)"
echo "simpy_version $("$py" -c 'import SimPy; print(SimPy.__version__)')"
echo "simpy_days $simpy_days"
echo "simpy_calls $(echo "$sp" | get calls | head -n 1)"
echo "simpy_calls_per_s_best $(echo "$sp" | get calls_per_s | best)"
echo "simpy_calls_per_s_median $(echo "$sp" | get calls_per_s | median)"
echo "simpy_blocking $(echo "$sp" | get blocking | head -n 1)"
b=$(echo "$bh" | get calls_per_s | best)
m=$(echo "$bh" | get calls_per_s | median)
sb=$(echo "$sp" | get calls_per_s | best)
sm=$(echo "$sp" | get calls_per_s | median)
echo "ratio_calls_per_s_best $(awk -v a="$b" -v b="$sb" 'BEGIN { printf "%.0f", a / b }')"
echo "ratio_calls_per_s_median $(awk -v a="$m" -v b="$sm" 'BEGIN { printf "%.0f", a / b }')"
echo "max_rss_kb_1_week $(echo "$week" | get max_rss_kb)"
echo "max_rss_kb_4_weeks $(echo "$month" | get max_rss_kb)"
