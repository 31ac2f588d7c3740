# shellcheck shell=bash
# The servers the scripts start: their ports, finding and stopping them (sourced, after say.sh).

# ports_fit BASE SPAN: BASE is a port number and BASE + SPAN is one too.
ports_fit() {
  [[ $1 =~ ^[0-9]+$ ]] && (($1 > 0 && $1 + $2 <= 65535))
}

# live_pid FILE PATTERN: the pid in a pid file if that process is alive and still is what we
# started (its command line contains PATTERN: pids get reused), else nothing.
live_pid() {
  local file=$1 pattern=$2 pid cmdline
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 0
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 0
  [[ $cmdline != *"$pattern"* ]] || echo "$pid"
}

# terminate PID TIMEOUT_S: SIGTERM, then SIGKILL if it still runs after TIMEOUT_S seconds.
# Returns 1 if it had to be killed.
terminate() {
  local pid=$1 deadline=$((SECONDS + $2))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
}

# stop_pid NAME PID TIMEOUT_S [PIDFILE]: terminate, remove PIDFILE if given, and say so.
stop_pid() {
  local name=$1 pid=$2 timeout=$3 pidfile=${4:-}
  terminate "$pid" "$timeout" || say "$name (pid $pid) ignored SIGTERM for ${timeout}s; killed it"
  [[ -z $pidfile ]] || rm -f "$pidfile"
  say "$name stopped (pid $pid)"
}
