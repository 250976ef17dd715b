#!/usr/bin/env bash
# OPTIONS answered per second over UDP on loopback: ferrosips and Kamailio (stateless sl) side
# by side in one run, same load generator (SIPp from Debian's sip-tester), bounded count.
#
#   bash benches/options.sh [RATE] [COUNT]
#
# For each server: start it (own pid file), send COUNT OPTIONS at RATE/s with at most 2000 in
# flight, read SIPp's successful/failed counts and the elapsed time, and the server's CPU
# seconds from /proc/PID/stat. Stops each server by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-20000}
COUNT=${2:-200000}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester"; exit 1; }
command -v kamailio >/dev/null || { echo "kamailio missing: apt-get install kamailio"; exit 1; }
cargo build --release -q
BIN=target/release/ferrosips

descendants() { # a pid and all its descendants (Kamailio forks its workers)
  local p
  echo "$1"
  for p in $(ps -o pid= --ppid "$1"); do descendants "$p"; done
}
cpu_secs() { # utime+stime of a pid and its descendants, in seconds
  local hz total=0 p
  hz=$(getconf CLK_TCK)
  for p in $(descendants "$1"); do
    total=$((total + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  awk -v t="$total" -v hz="$hz" 'BEGIN {print t/hz}'
}
rss_kib() { # summed RSS of a pid and its descendants
  local total=0 p
  for p in $(descendants "$1"); do
    total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

wait_udp() { # wait (bounded) until the server answers an OPTIONS
  for _ in $(seq 1 100); do
    if timeout -s KILL 3 sipp -nostdin -sf benches/sipp/options.xml -m 1 -r 1 -timeout 2s -timeout_error \
         "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "server $1 did not answer"; return 1
}

run_one() { # name target pid
  local name=$1 target=$2 pid=$3
  wait_udp "$target"
  local c0 t0 t1 c1 stats
  c0=$(cpu_secs "$pid")
  t0=$(date +%s.%N)
  timeout -s KILL 120 sipp -nostdin -sf benches/sipp/options.xml -m "$COUNT" -r "$RATE" -l 2000 \
      -timeout 100s -trace_stat -stf "$WORK/$name.csv" -fd 100 "$target" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  c1=$(cpu_secs "$pid")
  stats=$(tail -n 1 "$WORK/$name.csv")
  local ok fail rtx
  ok=$(echo "$stats" | awk -F';' '{print $16}')     # SuccessfulCall(C)
  fail=$(echo "$stats" | awk -F';' '{print $18}')   # FailedCall(C)
  rtx=$(echo "$stats" | awk -F';' '{print $48}')    # Retransmissions(C)
  awk -v n="$name" -v ok="$ok" -v f="$fail" -v r="$rtx" -v t0="$t0" -v t1="$t1" \
      -v c0="$c0" -v c1="$c1" -v rss="$(rss_kib "$pid")" 'BEGIN {
    el=t1-t0; cpu=c1-c0;
    printf "| %-10s | %8d | %6d | %5s | %7.2f | %9.0f | %6.2f | %7.2f | %8d |\n",
      n, ok, f, r, el, ok/el, cpu, (ok>0 ? cpu*1e6/ok : 0), rss }'
}

"$BIN" run --config benches/peer/ferrosips-options.cfg --pid-file "$WORK/ferrosips.pid" \
  2>"$WORK/ferrosips.log" &
PIDS+=($!)
FPID=$!
kamailio -f benches/peer/kamailio-options.cfg -P "$WORK/kamailio.pid" -DD -E \
  2>"$WORK/kamailio.log" &
PIDS+=($!)
KPID=$!

echo "OPTIONS over UDP, $COUNT requests at $RATE/s target, SIPp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1), $(kamailio -v | head -1), $(nproc) cores"
echo
echo "| server     | answered | failed | rtx   | elapsed | OPTIONS/s | cpu s  | cpu µs/op | RSS KiB |"
echo "|------------|---------:|-------:|------:|--------:|----------:|-------:|----------:|--------:|"
run_one ferrosips 127.0.0.1:5070 "$FPID"
run_one kamailio 127.0.0.2:5070 "$KPID"
