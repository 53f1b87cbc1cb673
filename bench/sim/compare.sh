#!/bin/sh
# compare.sh: issue 15's figures in one run, on one model, runs alternated
# (a shared machine's load drifts; medians of RUNS runs each):
#   bench/sim/compare.sh BUILD_DIR [RUNS [REPLICATIONS]]
# The priced reference model (priced-mmnn.yaml: M/M/100/100 at 90 E,
# callers pay by origin, plan, bundle and time band), 20 replications of
# one day: busyhour's calls per CPU second with tariffs and without, on
# one thread and two; the same trunk in SimPy 2 (Debian python3-simpy,
# a Resource) and in SimPy 3/4 written with a counter (python3-simpy3;
# SimPy 4 is not packaged, SimPy 3 has the same API); the ratios. Then
# every bundled scenario on one thread and two: calls per wall second and
# per CPU second, and the two-thread speed-up. Rates are medians; the
# load average is printed before and after, since a machine shared with
# other work gives two threads less than two cores.
set -eu
build=${1:?usage: compare.sh BUILD_DIR [RUNS [REPLICATIONS]]}
runs=${2:-5}
reps=${3:-40}
here=$(dirname "$0")
top=$here/../..
bench=$build/bench/sim/bench_sim
[ -x "$bench" ] || { echo "compare.sh: no $bench (build target bench_sim)" >&2; exit 2; }
py=/usr/bin/python3 # Debian's, where python3-simpy and python3-simpy3 live
model=$here/priced-mmnn.yaml

get() { sed -n "s/^$1 //p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

echo "load_average_before $(cut -d' ' -f1-3 /proc/loadavg)"
on1="" off1="" on2="" off2="" w1="" w2="" s2="" s4=""
have4=0
"$py" -c 'import simpy' 2>/dev/null && have4=1
i=0
while [ "$i" -lt "$runs" ]; do
    on1="$on1$("$bench" --scenario "$model")
"
    off1="$off1$("$bench" --scenario "$model" --no-tariffs)
"
    on2="$on2$("$bench" --scenario "$model" --threads 2)
"
    off2="$off2$("$bench" --scenario "$model" --threads 2 --no-tariffs)
"
    s2="$s2$("$py" "$here/mmnn_simpy.py" --lines 100 --days 1)
"
    if [ "$have4" = 1 ]; then
        s4="$s4$("$py" "$here/mmnn_simpy4.py" --lines 100 --days 1)
"
    fi
    i=$((i + 1))
done
for v in on1 off1 on2 off2; do
    eval "out=\$$v"
    echo "priced_${v}_calls_per_cpu_s $(echo "$out" | get calls_per_s | median)"
    echo "priced_${v}_calls_per_wall_s $(echo "$out" | get calls_per_wall_s | median)"
done
a=$(echo "$on1" | get calls_per_s | median)
b=$(echo "$off1" | get calls_per_s | median)
echo "priced_tariffs_cpu_cost $(ratio "$b" "$a")  # CPU per call, tariffs on / off (goal <= 1.10)"
a2=$(echo "$on2" | get calls_per_wall_s | median)
a1=$(echo "$on1" | get calls_per_wall_s | median)
echo "priced_two_threads_wall_speedup $(ratio "$a2" "$a1")"
c2=$(echo "$on2" | get calls_per_s | median)
echo "priced_two_threads_cpu_efficiency $(ratio "$c2" "$a")  # calls per CPU s, 2 threads / 1"
sp2=$(echo "$s2" | get calls_per_s | median)
echo "simpy2_version $("$py" -c 'import SimPy; print(SimPy.__version__)')"
echo "simpy2_calls_per_cpu_s $sp2"
echo "busyhour_tariffs_over_simpy2 $(ratio "$a" "$sp2")"
echo "busyhour_no_tariffs_over_simpy2 $(ratio "$b" "$sp2")"
if [ "$have4" = 1 ]; then
    sp4=$(echo "$s4" | get calls_per_s | median)
    echo "simpy_counter_version $(echo "$s4" | get simpy_version | head -n 1)"
    echo "simpy_counter_calls_per_cpu_s $sp4"
    echo "busyhour_tariffs_over_simpy_counter $(ratio "$a" "$sp4")"
    echo "busyhour_no_tariffs_over_simpy_counter $(ratio "$b" "$sp4")"
else
    echo "simpy_counter not importable (apt-get install python3-simpy3)"
fi
echo "simpy2_blocking $(echo "$s2" | get blocking | head -n 1)"

# every bundled scenario, one thread and two, alternated
for f in "$top"/scenarios/*.yaml; do
    n=$(basename "$f" .yaml)
    t1="" t2=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        t1="$t1$("$bench" --scenario "$f" --replications "$reps")
"
        t2="$t2$("$bench" --scenario "$f" --replications "$reps" --threads 2)
"
        i=$((i + 1))
    done
    x1=$(echo "$t1" | get calls_per_wall_s | median)
    x2=$(echo "$t2" | get calls_per_wall_s | median)
    y1=$(echo "$t1" | get calls_per_s | median)
    y2=$(echo "$t2" | get calls_per_s | median)
    echo "$n calls_per_wall_s 1:$x1 2:$x2 speedup $(ratio "$x2" "$x1")" \
        "calls_per_cpu_s 1:$y1 2:$y2 efficiency $(ratio "$y2" "$y1")"
done
echo "load_average_after $(cut -d' ' -f1-3 /proc/loadavg)"
