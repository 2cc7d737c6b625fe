#!/usr/bin/env bash
# Run Apache Kafka 4.1 (KRaft, no ZooKeeper, no Docker) from the jars listed in
# deploy/kafka/pom.xml. Works from any directory.
#
#   kafka.sh fetch                       copy the jars into .local/kafka/libs (if missing / pom changed)
#   kafka.sh start [--brokers 1|3] [--fresh] [--manufacturer]
#                                        --manufacturer: also a SASL/SCRAM listener for the car maker, with
#                                        ACLs (StandardAuthorizer): it may read oem.warranty-claims (groups
#                                        "manufacturer.*") and write oem.warranty-decisions, nothing else.
#                                        The PLAINTEXT listener stays as it was (its clients are super users).
#   kafka.sh stop
#   kafka.sh stop-node N | start-node N  one broker of a running cluster (fault tests)
#   kafka.sh status                      exit 0 all nodes running, 1 some, 3 none
#   kafka.sh bootstrap                   print the bootstrap servers string
#
# Environment:
#   KAFKA_STATE_DIR        state (node dirs, logs, pids); default <repo>/.local/kafka.
#                          Jars always live in <repo>/.local/kafka/libs.
#   KAFKA_PORT             first broker port (default 59092); with --brokers 3 the brokers use
#                          KAFKA_PORT, +2, +4 and the controllers KAFKA_PORT+1, +3, +5.
#   KAFKA_CONTROLLER_PORT  controller port for a single node (default KAFKA_PORT+1).
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90).
#   KAFKA_JVM_OPTS         extra JVM options for the brokers.
#   KAFKA_MANUFACTURER_PORT  the manufacturer's SASL_PLAINTEXT listener (default KAFKA_PORT+10; node N of
#                          three: +2 per node). User MANUFACTURER_KAFKA_USERNAME (default manufacturer),
#                          password MANUFACTURER_KAFKA_PASSWORD (default manufacturer-secret), SCRAM-SHA-512.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"
LOG4J_CONF="$SCRIPT_DIR/log4j2.properties"
LIBS_PARENT="$REPO_ROOT/.local/kafka"
LIBS="$LIBS_PARENT/libs"
STAMP="$LIBS/.pom.sha256"

STATE="${KAFKA_STATE_DIR:-$REPO_ROOT/.local/kafka}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"

KAFKA_PORT="${KAFKA_PORT:-59092}"
MANUFACTURER_USER="${MANUFACTURER_KAFKA_USERNAME:-manufacturer}"
MANUFACTURER_PASSWORD="${MANUFACTURER_KAFKA_PASSWORD:-manufacturer-secret}"
OEM_READ_TOPIC="oem.warranty-claims"
OEM_WRITE_TOPIC="oem.warranty-decisions"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------- jars

pom_sha() { sha256sum "$POM" | cut -d' ' -f1; }

libs_current() {
  [[ -d "$LIBS" && -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$(pom_sha)" ]] \
    && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null
}

cmd_fetch() {
  command -v mvn >/dev/null || die "mvn not found (Maven is needed once to fetch the Kafka jars)"
  mkdir -p "$LIBS_PARENT"
  # Serialise concurrent fetches (several test runs may start at once).
  exec 9>"$LIBS_PARENT/.fetch.lock"
  flock 9
  if libs_current; then
    log "jars up to date in $LIBS"
    exec 9>&-
    return 0
  fi
  local tmp="$LIBS_PARENT/libs.tmp.$$"
  rm -rf "$tmp"
  log "fetching jars listed in $POM (Maven, cached in ~/.m2) ..."
  # Output only on failure (Maven 3.8 prints stray colour codes even with -B -q).
  if ! mvn -B -q -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "mvn dependency:copy-dependencies failed"
  fi
  rm -f "$tmp.log"
  pom_sha >"$tmp/.pom.sha256"
  # Swap by renames so brokers running from the old folder see (almost) no gap.
  if [[ -d "$LIBS" ]]; then mv "$LIBS" "$LIBS.old.$$"; fi
  mv "$tmp" "$LIBS"
  rm -rf "$LIBS.old.$$"
  log "$(find "$LIBS" -name '*.jar' | wc -l) jars in $LIBS"
  exec 9>&-
}

ensure_libs() { libs_current || cmd_fetch; }

# Short-lived JVM for the admin tools (fast start, small heap, logs to $STATE/tools.log).
tool_java() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$STATE" -Dkafka.log.name=tools \
    -cp "$LIBS/*" "$@"
}

# ---------------------------------------------------------------- layout

node_dir() { echo "$STATE/node$1"; }
broker_port() { # node brokers
  if [[ "$2" == 1 ]]; then echo "$KAFKA_PORT"; else echo $((KAFKA_PORT + 2 * ($1 - 1))); fi
}
controller_port() { # node brokers
  if [[ "$2" == 1 ]]; then echo "${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
  else echo $((KAFKA_PORT + 2 * ($1 - 1) + 1)); fi
}

manufacturer_port() { # node brokers
  if [[ "$2" == 1 ]]; then echo "${KAFKA_MANUFACTURER_PORT:-$((KAFKA_PORT + 10))}"
  else echo $((${KAFKA_MANUFACTURER_PORT:-$((KAFKA_PORT + 10))} + 2 * ($1 - 1))); fi
}

# The manufacturer's listener is on when the cluster was started with --manufacturer (recorded in the state).
manufacturer_enabled() { [[ -f "$STATE/manufacturer" ]]; }

recorded_brokers() { [[ -f "$STATE/brokers" ]] && cat "$STATE/brokers" || true; }

# Nodes that have a directory in the state dir (1..3).
known_nodes() {
  local n
  for n in 1 2 3; do [[ -d "$(node_dir "$n")" ]] && echo "$n"; done
  return 0
}

# PID of node N if its pid file points at a live kafka.Kafka for this node's config.
node_pid() {
  local d pid
  d="$(node_dir "$1")"
  [[ -f "$d/pid" ]] || return 1
  pid="$(cat "$d/pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *kafka.Kafka* && "$cmdline" == *"$d/server.properties"* ]] || return 1
  echo "$pid"
}

# True once the process is gone (or a zombie). Used after we have signalled a pid that
# node_pid identified: its cmdline reads empty while the JVM is still exiting.
pid_gone() {
  [[ ! -d "/proc/$1" ]] && return 0
  grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

new_cluster_id() {
  if command -v python3 >/dev/null; then
    python3 -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))'
  else
    tool_java kafka.tools.StorageTool random-uuid
  fi
}

write_props() { # node brokers
  local n="$1" b="$2" d voters="" i
  d="$(node_dir "$n")"
  for ((i = 1; i <= b; i++)); do
    voters+="${voters:+,}$i@127.0.0.1:$(controller_port "$i" "$b")"
  done
  local rf=1 isr=1
  if [[ "$b" == 3 ]]; then rf=3; isr=2; fi
  local extra_listener="" extra_protocol=""
  if manufacturer_enabled; then
    extra_listener=",MANUFACTURER://127.0.0.1:$(manufacturer_port "$n" "$b")"
    extra_protocol=",MANUFACTURER:SASL_PLAINTEXT"
  fi
  mkdir -p "$d/data"
  cat >"$d/server.properties" <<EOF
# Generated by deploy/kafka/kafka.sh ($b-broker local cluster); rewritten on every start.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n" "$b"),CONTROLLER://127.0.0.1:$(controller_port "$n" "$b")${extra_listener}
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n" "$b")${extra_listener}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${extra_protocol}
log.dirs=$d/data

num.partitions=3
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
EOF
  if manufacturer_enabled; then
    cat >>"$d/server.properties" <<EOF

# The manufacturer's own listener: SASL/SCRAM, and ACLs for everyone not on PLAINTEXT/CONTROLLER (whose
# unauthenticated clients, User:ANONYMOUS, are super users: the platform's services and tools as before).
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.manufacturer.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.manufacturer.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
allow.everyone.if.no.acl.found=false
EOF
  fi
}

# The manufacturer's SCRAM credential, its topics and its ACLs, set through the PLAINTEXT listener (idempotent).
setup_manufacturer() { # bootstrap
  local bs="$1" cfg="$STATE/.admin.properties" out="$STATE/manufacturer.log"
  local topic
  for topic in "$OEM_READ_TOPIC" "$OEM_WRITE_TOPIC"; do
    tool_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --command-config "$cfg" --create \
      --if-not-exists --topic "$topic" >>"$out" 2>&1 || return 1
  done
  tool_java kafka.admin.ConfigCommand --bootstrap-server "$bs" --alter --entity-type users \
    --entity-name "$MANUFACTURER_USER" --add-config "SCRAM-SHA-512=[password=$MANUFACTURER_PASSWORD]" \
    >>"$out" 2>&1 || return 1
  local acl=(tool_java org.apache.kafka.tools.AclCommand --bootstrap-server "$bs" --add --force
             --allow-principal "User:$MANUFACTURER_USER")
  "${acl[@]}" --operation Read --operation Describe --topic "$OEM_READ_TOPIC" >>"$out" 2>&1 || return 1
  "${acl[@]}" --operation Write --operation Describe --topic "$OEM_WRITE_TOPIC" >>"$out" 2>&1 || return 1
  "${acl[@]}" --operation Read --operation Describe --group "manufacturer." --resource-pattern-type prefixed \
    >>"$out" 2>&1 || return 1
  log "manufacturer: user $MANUFACTURER_USER (SCRAM-SHA-512) on port $(manufacturer_port 1 "$(recorded_brokers)")"
}

format_node() { # node cluster-id
  local d
  d="$(node_dir "$1")"
  [[ -f "$d/data/meta.properties" ]] && return 0
  # "--cluster-id=ID" in one word: a random id starts with "-" one time in 64, and argparse would
  # take "-t -Abc..." for two options.
  tool_java kafka.tools.StorageTool format --cluster-id="$2" -c "$d/server.properties" -g >"$d/format.out" 2>&1 \
    || { cat "$d/format.out" >&2; return 1; }
}

launch_node() { # node brokers
  local n="$1" b="$2" d heap="-Xmx1g"
  d="$(node_dir "$n")"
  [[ "$b" == 3 ]] && heap="-Xmx512m"
  local p
  for p in "$(broker_port "$n" "$b")" "$(controller_port "$n" "$b")"; do
    if port_in_use "$p"; then
      die "node$n: port 127.0.0.1:$p is already in use by another process (set KAFKA_PORT?)"
    fi
  done
  printf '==== %s kafka.sh: starting node%s\n' "$(date -Is)" "$n" >>"$d/kafka.out"
  # setsid: the broker must not die with the caller's process group / terminal.
  # shellcheck disable=SC2086
  setsid nohup java -Xms256m "$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$d" \
    ${KAFKA_JVM_OPTS:-} -cp "$LIBS/*" kafka.Kafka "$d/server.properties" \
    >>"$d/kafka.out" 2>&1 </dev/null &
  echo $! >"$d/pid"
  log "node$n: started pid $! (127.0.0.1:$(broker_port "$n" "$b"), log $d/server.log)"
}

# Real admin call against one broker: list topics.
admin_ok() { # port
  local cfg="$STATE/.admin.properties" rc
  timeout 20 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$STATE" -Dkafka.log.name=tools \
    -cp "$LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$1" --command-config "$cfg" --list >/dev/null 2>"$STATE/.admin.err.$1" \
    && rc=0 || rc=$?
  [[ $rc == 0 ]] || cp "$STATE/.admin.err.$1" "$STATE/.admin.err" 2>/dev/null || true
  rm -f "$STATE/.admin.err.$1"
  return "$rc"
}

show_failure() { # nodes...
  local n d
  for n in "$@"; do
    d="$(node_dir "$n")"
    log "---- node$n: tail of $d/kafka.out"
    tail -n 20 "$d/kafka.out" >&2 2>/dev/null || true
    log "---- node$n: tail of $d/server.log"
    tail -n 30 "$d/server.log" >&2 2>/dev/null || true
  done
  if [[ -s "$STATE/.admin.err" ]]; then log "---- last admin call error"; tail -n 5 "$STATE/.admin.err" >&2; fi
  return 0
}

wait_ready() { # brokers nodes...
  local b="$1"; shift
  local deadline=$((SECONDS + START_TIMEOUT)) n pending=("$@") still
  rm -f "$STATE/.admin.err"
  printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=8000\n' >"$STATE/.admin.properties"
  while ((${#pending[@]})); do
    still=()
    for n in "${pending[@]}"; do
      if ! node_pid "$n" >/dev/null; then
        log "node$n exited during start-up"
        rm -f "$(node_dir "$n")/pid"
        show_failure "$n"
        stop_nodes "$@"
        exit 1
      fi
    done
    # Cheap pre-filter (the broker listener opens late in start-up), then the real admin
    # calls, one JVM per node, in parallel.
    local checking=() pids=() i
    for n in "${pending[@]}"; do
      if port_in_use "$(broker_port "$n" "$b")"; then
        admin_ok "$(broker_port "$n" "$b")" & pids+=($!); checking+=("$n")
      else
        still+=("$n")
      fi
    done
    for i in "${!checking[@]}"; do
      wait "${pids[$i]}" || still+=("${checking[$i]}")
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline)); then
      log "not ready after ${START_TIMEOUT}s: node(s) ${pending[*]}"
      show_failure "${pending[@]}"
      log "stopping the node(s) this call started: $*"
      stop_nodes "$@"
      exit 1
    fi
    sleep 1
  done
  return 0
}

# ---------------------------------------------------------------- commands

stop_nodes() { # nodes... (SIGTERM all at once, then wait; a KRaft quorum shuts down best together)
  local n pid d stopping=()
  for n in "$@"; do
    d="$(node_dir "$n")"
    if pid="$(node_pid "$n")"; then
      kill -TERM "$pid" 2>/dev/null || true
      stopping+=("$n:$pid")
      log "node$n: SIGTERM pid $pid"
    else
      [[ -f "$d/pid" ]] && log "node$n: not running (stale pid file removed)"
      rm -f "$d/pid"
    fi
  done
  local deadline=$((SECONDS + 30)) item left
  while ((${#stopping[@]})); do
    left=()
    for item in "${stopping[@]}"; do
      n="${item%%:*}"; pid="${item#*:}"
      if ! pid_gone "$pid"; then left+=("$item"); else
        rm -f "$(node_dir "$n")/pid"; log "node$n: stopped"
      fi
    done
    stopping=("${left[@]+"${left[@]}"}")
    ((${#stopping[@]})) || break
    if ((SECONDS >= deadline)); then
      for item in "${stopping[@]}"; do
        n="${item%%:*}"; pid="${item#*:}"
        if ! pid_gone "$pid"; then
          log "node$n: still running after 30s, SIGKILL pid $pid"
          kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$(node_dir "$n")/pid"
      done
      sleep 0.5
      break
    fi
    sleep 0.5
  done
  return 0
}

cmd_start() {
  local brokers=1 fresh=0 manufacturer=0
  while (($#)); do
    case "$1" in
      --brokers) brokers="${2:-}"; shift 2 || die "--brokers needs a value" ;;
      --brokers=*) brokers="${1#*=}"; shift ;;
      --fresh) fresh=1; shift ;;
      --manufacturer) manufacturer=1; shift ;;
      *) die "start: unknown argument '$1'" ;;
    esac
  done
  [[ "$brokers" == 1 || "$brokers" == 3 ]] || die "--brokers must be 1 or 3"
  command -v java >/dev/null || die "java not found (Java 17+ is needed)"

  local n running=() rec
  rec="$(recorded_brokers)"
  for n in $(known_nodes); do node_pid "$n" >/dev/null && running+=("$n"); done

  if ((fresh)); then
    ((${#running[@]})) && { log "--fresh: stopping the running node(s) first"; stop_nodes "${running[@]}"; }
    running=()
  elif ((${#running[@]})); then
    if [[ -n "$rec" && "$rec" != "$brokers" ]]; then
      die "a $rec-broker cluster is already running in $STATE (nodes ${running[*]}); stop it first"
    fi
    if ((manufacturer)) && ! manufacturer_enabled; then
      die "running without the manufacturer's listener (started without --manufacturer); stop it first (kafka.sh stop)"
    fi
    if ((${#running[@]} == brokers)); then
      log "already running: node(s) ${running[*]} (bootstrap $(cat "$STATE/bootstrap" 2>/dev/null || echo '?'))"
      return 0
    fi
  fi

  ensure_libs

  if [[ -n "$rec" && "$rec" != "$brokers" && "$fresh" == 0 ]]; then
    log "state dir holds a $rec-broker cluster; wiping it for a $brokers-broker cluster"
    fresh=1
  fi
  if ((fresh)); then
    for n in 1 2 3; do rm -rf "$(node_dir "$n")"; done
    rm -f "$STATE/cluster.id" "$STATE/brokers" "$STATE/bootstrap"
  fi

  local cid
  if [[ -s "$STATE/cluster.id" ]]; then cid="$(cat "$STATE/cluster.id")"; else
    cid="$(new_cluster_id)"; echo "$cid" >"$STATE/cluster.id"
  fi
  echo "$brokers" >"$STATE/brokers"
  if ((manufacturer)); then touch "$STATE/manufacturer"; else rm -f "$STATE/manufacturer"; fi
  local bs=""
  for ((n = 1; n <= brokers; n++)); do bs+="${bs:+,}127.0.0.1:$(broker_port "$n" "$brokers")"; done
  echo "$bs" >"$STATE/bootstrap"

  local to_start=() pids=() rc=0 p
  for ((n = 1; n <= brokers; n++)); do
    node_pid "$n" >/dev/null && continue
    for p in "$(broker_port "$n" "$brokers")" "$(controller_port "$n" "$brokers")"; do
      port_in_use "$p" && die "node$n: port 127.0.0.1:$p is already in use by another process (set KAFKA_PORT?)"
    done
  done
  for ((n = 1; n <= brokers; n++)); do
    if node_pid "$n" >/dev/null; then continue; fi
    to_start+=("$n")
    write_props "$n" "$brokers"
    format_node "$n" "$cid" & pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n" || rc=1; done
  ((rc == 0)) || die "storage format failed"
  for n in "${to_start[@]}"; do launch_node "$n" "$brokers"; done
  wait_ready "$brokers" "${to_start[@]}"
  if manufacturer_enabled; then
    setup_manufacturer "$bs" || { tail -n 20 "$STATE/manufacturer.log" >&2; die "manufacturer set-up failed"; }
  fi
  log "ready: cluster $cid, bootstrap $bs"
}

cmd_start_node() {
  local n="${1:-}" b
  [[ "$n" =~ ^[123]$ ]] || die "usage: kafka.sh start-node N"
  b="$(recorded_brokers)"
  [[ -f "$(node_dir "$n")/server.properties" && -n "$b" ]] || die "node$n is not part of a cluster in $STATE (run start first)"
  ((n <= b)) || die "node$n is not part of the $b-broker cluster"
  local pid
  if pid="$(node_pid "$n")"; then log "node$n: already running (pid $pid)"; return 0; fi
  ensure_libs
  launch_node "$n" "$b"
  wait_ready "$b" "$n"
  log "node$n: ready"
}

cmd_stop_node() {
  local n="${1:-}"
  [[ "$n" =~ ^[123]$ ]] || die "usage: kafka.sh stop-node N"
  stop_nodes "$n"
}

cmd_stop() {
  local nodes
  mapfile -t nodes < <(known_nodes)
  ((${#nodes[@]})) || { log "nothing to stop in $STATE"; return 0; }
  stop_nodes "${nodes[@]}"
}

cmd_status() {
  local n pid total=0 up=0 b
  b="$(recorded_brokers)"
  for n in $(known_nodes); do
    [[ -n "$b" ]] && ((n > b)) && continue
    total=$((total + 1))
    if pid="$(node_pid "$n")"; then
      up=$((up + 1))
      echo "node$n: running (pid $pid, 127.0.0.1:$(grep -oP '^advertised\.listeners=PLAINTEXT://127\.0\.0\.1:\K[0-9]+' "$(node_dir "$n")/server.properties"))"
    else
      echo "node$n: stopped"
    fi
  done
  ((total)) || { echo "no cluster in $STATE"; return 3; }
  ((up == total)) && return 0
  ((up == 0)) && return 3
  return 1
}

cmd_bootstrap() {
  if [[ -s "$STATE/bootstrap" ]]; then cat "$STATE/bootstrap"; return 0; fi
  local brokers=1 n bs=""
  [[ "${1:-}" == --brokers ]] && brokers="${2:-1}"
  [[ "${1:-}" == --brokers=* ]] && brokers="${1#*=}"
  for ((n = 1; n <= brokers; n++)); do bs+="${bs:+,}127.0.0.1:$(broker_port "$n" "$brokers")"; done
  echo "$bs"
}

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

cmd="${1:-}"
shift || true
case "$cmd" in
  fetch) cmd_fetch ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  start-node) cmd_start_node "$@" ;;
  stop-node) cmd_stop_node "$@" ;;
  status) cmd_status ;;
  bootstrap) cmd_bootstrap "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
