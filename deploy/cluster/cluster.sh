#!/usr/bin/env bash
# GridOps as several hosts on one machine: `cluster.sh up | down | status | env`.
#
# Each "host" is a network namespace with its own address on a private bridge, so a test can cut
# one off the network (ip link set ... down) as well as kill it:
#
#   host        namespace    address        ports (inside its namespace)
#   etcd        gocl-etcd    10.216.66.2    23790 client, 23800 peer
#   pg1, pg2    gocl-pg1/2   10.216.66.11/12 25432/25433 PostgreSQL, 28008/28009 Patroni REST
#   redis       gocl-redis   10.216.66.5    26379
#   app1, app2  gocl-app1/2  10.216.66.21/22 28101/28102 uvicorn (2 workers each)
#   balancer    (this host)  10.216.66.1 + 127.0.0.1: 25000 PG writes (Patroni /primary),
#               25001 PG reads (/replica, the primary while no replica runs), 28000 HTTP + websockets (/readyz), 28404 stats
#
# Everything lives under $GRIDOPS_CLUSTER_DIR (default /var/tmp/gridops-cluster) and is removed by
# `down`; `node kill|cut|join|start HOST` is what the fault tests do to one host. Nothing touches the machine's own PostgreSQL (5432) or Redis (6379). Needs root (ip netns).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${GRIDOPS_CLUSTER_DIR:-/var/tmp/gridops-cluster}"
PY="${PY:-$ROOT/.venv/bin/python}"
# The code the nodes serve: the working tree, or with GRIDOPS_CLUSTER_REV a commit exported to
# $STATE/src (a shared checkout in the middle of someone's edit does not then break the nodes).
SRC="$ROOT"
PG_BIN=/usr/lib/postgresql/15/bin
NET=10.216.66
BRIDGE=gocl-br0
LB="$NET.1"
APP_WORKERS="${CLUSTER_APP_WORKERS:-2}"
APT_PACKAGES="patroni etcd-server etcd-client haproxy python3-etcd python3-psycopg2 postgresql-15-postgis-3
    postgresql-15-pgrouting postgresql-15-partman redis-server curl openssl"

# name → address; the suffix of the namespace and of the host-side veth
declare -A ADDR=([etcd]=$NET.2 [redis]=$NET.5 [pg1]=$NET.11 [pg2]=$NET.12 [app1]=$NET.21 [app2]=$NET.22)
declare -A PG_PORT=([pg1]=25432 [pg2]=25433)
declare -A REST_PORT=([pg1]=28008 [pg2]=28009)
declare -A APP_PORT=([app1]=28101 [app2]=28102)

log() { printf '[cluster] %s\n' "$*" >&2; }
in_ns() { local host=$1; shift; ip netns exec "gocl-$host" "$@"; }

daemon() {  # daemon HOST LOG COMMAND...: in the host's namespace, its own session, no fd of ours
    local host=$1 out=$2; shift 2
    # exec from a subshell whose redirections are its own: a function called with redirections
    # leaves bash's saved copy of our stdout open in the child, and `make`'s pipe never closes
    ( exec ip netns exec "gocl-$host" setsid "$@" </dev/null >>"$out" 2>&1 ) &
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2; shift 2
    for _ in $(seq 1 $((seconds * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
    log "gave up waiting for $what after ${seconds}s"; return 1
}

packages() {
    dpkg -s $APT_PACKAGES >/dev/null 2>&1 && return 0
    log "installing $APT_PACKAGES"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $APT_PACKAGES >/dev/null
}

secrets() {  # random passwords, made once per cluster directory
    local file="$STATE/secrets.env"
    if [ ! -f "$file" ]; then
        umask 077
        { for name in SUPERUSER REPLICATION APP; do echo "PG_${name}_PASSWORD=$(openssl rand -hex 16)"; done
          echo "SECRET_KEY=$(openssl rand -hex 40)"; } > "$file"
    fi
    # shellcheck disable=SC1090
    . "$file"
}

network() {
    ip link show "$BRIDGE" >/dev/null 2>&1 || {
        ip link add "$BRIDGE" type bridge
        ip addr add "$LB/24" dev "$BRIDGE"
        ip link set "$BRIDGE" up
    }
    local host
    for host in "${!ADDR[@]}"; do
        ip netns list | grep -qw "gocl-$host" && continue
        ip netns add "gocl-$host"
        ip link add "vgocl-$host" type veth peer name eth0 netns "gocl-$host"
        ip link set "vgocl-$host" master "$BRIDGE" up
        in_ns "$host" ip addr add "${ADDR[$host]}/24" dev eth0
        in_ns "$host" ip link set eth0 up
        in_ns "$host" ip link set lo up
    done
}

start_etcd() {
    mkdir -p "$STATE/etcd"
    local url="http://${ADDR[etcd]}"
    daemon etcd "$STATE/etcd/etcd.out" etcd --name etcd1 --data-dir "$STATE/etcd/data" \
        --listen-client-urls "$url:23790" --advertise-client-urls "$url:23790" \
        --listen-peer-urls "$url:23800" --initial-advertise-peer-urls "$url:23800" \
        --initial-cluster "etcd1=$url:23800" --initial-cluster-state new --enable-v2=true \
        --logger zap --log-outputs "$STATE/etcd/etcd.log"
    wait_for 30 etcd curl -sf "$url:23790/health"
}

start_redis() {
    mkdir -p "$STATE/redis"
    in_ns redis redis-server --bind "${ADDR[redis]}" --port 26379 --save "" --appendonly no --protected-mode no \
        --daemonize yes --dir "$STATE/redis" --logfile "$STATE/redis/redis.log" --pidfile "$STATE/redis/redis.pid" \
        </dev/null >/dev/null 2>&1
    wait_for 15 redis in_ns redis redis-cli -h "${ADDR[redis]}" -p 26379 ping
}

patroni_config() {  # patroni_config NAME → the node's YAML (synchronous_mode, PostGIS-capable PG 15)
    local name=$1 addr=${ADDR[$1]} dir="$STATE/$1"
    sed -e "s|@NAME@|$name|g" -e "s|@ADDR@|$addr|g" -e "s|@DIR@|$dir|g" -e "s|@NET@|$NET|g" \
        -e "s|@PG_PORT@|${PG_PORT[$name]}|g" -e "s|@REST_PORT@|${REST_PORT[$name]}|g" \
        -e "s|@ETCD@|${ADDR[etcd]}:23790|g" -e "s|@PG_BIN@|$PG_BIN|g" \
        -e "s|@SUPERUSER_PASSWORD@|$PG_SUPERUSER_PASSWORD|g" \
        -e "s|@REPLICATION_PASSWORD@|$PG_REPLICATION_PASSWORD|g" \
        "$HERE/patroni.yml.in"
}

start_patroni() {  # start_patroni NAME: the node's Patroni, which runs its PostgreSQL, as postgres
    local name=$1 dir="$STATE/$1"
    mkdir -p "$dir"
    patroni_config "$name" > "$dir/patroni.yml"
    chown -R postgres:postgres "$dir"
    chmod 700 "$dir"
    daemon "$name" "$dir/patroni.log" runuser -u postgres -- patroni "$dir/patroni.yml"
}

rest() { curl -s -o /dev/null -w '%{http_code}' "http://${ADDR[$1]}:${REST_PORT[$1]}/$2"; }
is_primary() { [ "$(rest "$1" primary)" = 200 ]; }
is_replica() { [ "$(rest "$1" replica)" = 200 ]; }
any_primary() { is_primary pg1 || is_primary pg2; }
# a synchronous standby is streaming (Patroni's /cluster names one), so a commit is on two nodes
synced() { local host; for host in pg1 pg2; do
    curl -s "http://${ADDR[$host]}:${REST_PORT[$host]}/cluster" | grep -q '"role": "sync_standby", "state": "running"' && return 0
done; return 1; }

start_haproxy() {
    mkdir -p "$STATE/haproxy"
    sed -e "s|@LB@|$LB|g" -e "s|@STATE@|$STATE|g" \
        -e "s|@PG1@|${ADDR[pg1]}:${PG_PORT[pg1]}|g" -e "s|@PG2@|${ADDR[pg2]}:${PG_PORT[pg2]}|g" \
        -e "s|@PG1_REST@|${REST_PORT[pg1]}|g" -e "s|@PG2_REST@|${REST_PORT[pg2]}|g" \
        -e "s|@APP1@|${ADDR[app1]}:${APP_PORT[app1]}|g" -e "s|@APP2@|${ADDR[app2]}:${APP_PORT[app2]}|g" \
        "$HERE/haproxy.cfg.in" > "$STATE/haproxy/haproxy.cfg"
    haproxy -c -q -f "$STATE/haproxy/haproxy.cfg"
    haproxy -D -p "$STATE/haproxy/haproxy.pid" -f "$STATE/haproxy/haproxy.cfg" </dev/null >/dev/null 2>&1
}

superuser_psql() {  # through the balancer's write port, i.e. whoever leads now
    PGPASSWORD="$PG_SUPERUSER_PASSWORD" psql -h 127.0.0.1 -p 25000 -U postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

database() {
    superuser_psql -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'gridops'" | grep -q 1 ||
        superuser_psql -d postgres -c "CREATE ROLE gridops LOGIN PASSWORD '$PG_APP_PASSWORD'"
    superuser_psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'gridops'" | grep -q 1 ||
        superuser_psql -d postgres -c "CREATE DATABASE gridops OWNER gridops"
    # Extensions that need a superuser are made here, so the application's role owns no more than
    # its own database; the migrations' CREATE EXTENSION IF NOT EXISTS then does nothing.
    superuser_psql -d gridops <<'SQL'
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgrouting;
CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
-- pg_partman's documented set-up for a non-superuser that maintains its own partitions
GRANT ALL ON SCHEMA partman TO gridops;
GRANT ALL ON ALL TABLES IN SCHEMA partman TO gridops;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA partman TO gridops;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA partman TO gridops;
GRANT CREATE ON DATABASE gridops TO gridops;
SQL
}

app_env() {  # the application's settings, as every node and every management command sees them
    cat <<EOF
DJANGO_SETTINGS_MODULE=gridops.settings.cluster
DATABASE_URL=postgis://gridops:$PG_APP_PASSWORD@$LB:25000/gridops
DATABASE_REPLICA_URL=postgis://gridops:$PG_APP_PASSWORD@$LB:25001/gridops
REDIS_URL=redis://${ADDR[redis]}:26379/0
CACHE_PREFIX=gridops-cluster
SECRET_KEY=$SECRET_KEY
ALLOWED_HOSTS=127.0.0.1,localhost,$LB,${ADDR[app1]},${ADDR[app2]}
CSRF_TRUSTED_ORIGINS=http://127.0.0.1:28000,http://$LB:28000
GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS=${GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS:-0}
MEDIA_ROOT=$STATE/media
PYTHONUNBUFFERED=1
EOF
}

start_app() {  # start_app NAME: uvicorn with its own workers inside the node's namespace
    local name=$1 dir="$STATE/$1"
    mkdir -p "$dir"
    (cd "$(cat "$STATE/src.path")" && set -a && . "$STATE/app.env" && set +a &&
        daemon "$name" "$dir/uvicorn.log" "$PY" manage.py serve --host "${ADDR[$name]}" \
            --port "${APP_PORT[$name]}" --workers "$APP_WORKERS" --forwarded-allow-ips "$LB")
}

app_ready() { in_ns "$1" curl -sf "http://${ADDR[$1]}:${APP_PORT[$1]}/readyz"; }
# the balancer sends traffic to the node again (its checks need `rise` successes first)
balanced() { curl -s "http://127.0.0.1:28404/;csv" | grep -q "^app,$1,.*,UP,"; }

up() {
    [ "$(id -u)" = 0 ] || { log "needs root (network namespaces)"; exit 1; }
    if [ -f "$STATE/app.env" ]; then
        log "already up (state in $STATE); \`make cluster-down\` first for a fresh one"; return 0
    fi
    packages
    mkdir -p "$STATE/media"
    if [ -n "${GRIDOPS_CLUSTER_REV:-}" ]; then
        SRC="$STATE/src"; rm -rf "$SRC"; mkdir -p "$SRC"
        git -C "$ROOT" archive "$GRIDOPS_CLUSTER_REV" | tar -x -C "$SRC"
    fi
    echo "$SRC" > "$STATE/src.path"
    secrets
    network
    start_etcd
    start_redis
    start_patroni pg1
    wait_for 120 "pg1 to lead" is_primary pg1
    start_patroni pg2
    start_haproxy
    wait_for 180 "pg2 to stream as a replica" is_replica pg2
    wait_for 60 "the sync standby" synced
    wait_for 30 "the write port" superuser_psql -d postgres -c "SELECT 1"
    database
    app_env > "$STATE/app.env"
    chmod 600 "$STATE/app.env"
    log "migrating"
    (cd "$SRC" && set -a && . "$STATE/app.env" && set +a && "$PY" manage.py migrate --noinput -v 0 &&
        "$PY" manage.py collectstatic --noinput -v 0)
    start_app app1
    start_app app2
    wait_for 120 "app1 /readyz" app_ready app1
    wait_for 120 "app2 /readyz" app_ready app2
    wait_for 15 "the balancer's /readyz" curl -sf http://127.0.0.1:28000/readyz
    log "up: http://127.0.0.1:28000 (apps), 127.0.0.1:25000 (PG writes), 25001 (PG reads); settings in $STATE/app.env"
}

down() {
    local host ns
    if [ -f "$STATE/haproxy/haproxy.pid" ]; then
        kill "$(cat "$STATE/haproxy/haproxy.pid")" 2>/dev/null || true
    fi
    for host in "${!ADDR[@]}"; do
        ns="gocl-$host"
        ip netns list | grep -qw "$ns" || continue
        # every process started in this host's namespace, and nothing else
        ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns"
        ip link del "vgocl-$host" 2>/dev/null || true
    done
    ip link del "$BRIDGE" 2>/dev/null || true
    rm -rf "$STATE"
    log "down"
}

node() {  # node start|kill|cut|join NAME: what a fault test does to one host
    local action=$1 name=$2
    [ -n "${ADDR[$name]:-}" ] || { log "no host $name"; exit 2; }
    case "$action" in
        start)
            secrets
            if [ -n "$(ip netns pids "gocl-$name")" ]; then log "$name is running"; return 0; fi
            case "$name" in
                pg1|pg2) start_patroni "$name" ;;
                app1|app2) start_app "$name"; wait_for 120 "$name /readyz" app_ready "$name"
                           wait_for 30 "the balancer to use $name" balanced "$name" ;;
                *) log "start $name: only pg1, pg2, app1, app2"; exit 2 ;;
            esac ;;
        # the host dies: every process in its namespace at once, no shutdown
        # (a short-lived backend may exit between the listing and the kill: not an error)
        kill) ip netns pids "gocl-$name" | xargs -r kill -9 2>/dev/null || true ;;
        # the host is cut off the network, its processes keep running
        cut) ip link set "vgocl-$name" down ;;
        join) ip link set "vgocl-$name" up
              case "$name" in app1|app2) wait_for 60 "the balancer to use $name" balanced "$name" ;; esac ;;
        *) log "node start|kill|cut|join NAME"; exit 2 ;;
    esac
}

status() {
    local host
    for host in pg1 pg2; do printf '%s primary=%s replica=%s\n' "$host" "$(rest $host primary)" "$(rest $host replica)"; done
    curl -s "http://${ADDR[pg1]}:${REST_PORT[pg1]}/cluster" || curl -s "http://${ADDR[pg2]}:${REST_PORT[pg2]}/cluster" || true
    echo
    for host in app1 app2; do printf '%s readyz=%s\n' "$host" "$(app_ready $host >/dev/null && echo ok || echo no)"; done
}

case "${1:-}" in
    up) trap 'log "failed; logs under $STATE"' ERR; up ;;
    down) down ;;
    status) status ;;
    env) cat "$STATE/app.env" ;;
    node) node "${2:-}" "${3:-}" ;;
    # whole again: a leader, its synchronous standby, both nodes taking traffic (what a fault test waits for before it starts)
    wait) wait_for 120 "a primary" any_primary && wait_for 180 "a sync standby" synced &&
          wait_for 60 "app1" balanced app1 && wait_for 60 "app2" balanced app2 ;;
    *) echo "usage: $0 up|down|status|env|wait|node start|kill|cut|join HOST" >&2; exit 2 ;;
esac
