#!/usr/bin/env bash
# Start the lab: real servers on 127.0.0.1 that the tests and the demo use.
#
#   lab/up.sh            everything (idempotent: what already runs is left alone)
#   lab/up.sh PIECE...   only some pieces: docker image hosts ssh fleet registry images pebble pebble-root env
#
# State (PIDs, logs, generated certs, registry storage) lives in .lab/ at the repository
# root; lab/down.sh stops exactly what is recorded there. Network rule: every server binds
# 127.0.0.1, dockerd runs with --bridge=none --iptables=false and every container uses the
# host network.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAB="$ROOT/.lab"
CACHE="${OPSFORGE_LAB_CACHE:-$ROOT/.cache}"
HOSTS=(panel deploy)
# A fleet of light hosts for rolling deploys, reached over SSH only.
FLEET=(fleet1 fleet2 fleet3 fleet4 fleet5 fleet6)
# sshd port of each lab host on 127.0.0.1 (host networking: one port each).
declare -A SSH_PORTS=([panel]=22201 [deploy]=22202 [fleet1]=22211 [fleet2]=22212 [fleet3]=22213 [fleet4]=22214
                      [fleet5]=22215 [fleet6]=22216)
REGISTRY=127.0.0.1:5000
SYSTEMD_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,python3-cffi-backend,python3-cryptography,iproute2,ca-certificates,nginx,curl,openssl,procps,sudo,tar,gzip,xz-utils,busybox,cron,openssh-server
mkdir -p "$LAB" "$CACHE"

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: ERROR: %s\n' "$*" >&2; exit 1; }

# wait_for DESCRIPTION SECONDS COMMAND...: retry COMMAND until it succeeds.
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not come up within ${secs}s"
    sleep 0.5
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start_bg NAME COMMAND...: start a background server, record its PID in .lab/NAME.pid.
start_bg() {
  local name=$1; shift
  if pid_alive "$LAB/$name.pid"; then return 0; fi
  nohup "$@" >"$LAB/$name.log" 2>&1 </dev/null &
  echo $! >"$LAB/$name.pid"
}

# ---------------------------------------------------------------- docker engine
up_docker() {
  if docker info >/dev/null 2>&1; then return 0; fi
  command -v dockerd >/dev/null || die "dockerd missing: run lab/install-deps.sh"
  log "starting dockerd (--bridge=none --iptables=false)"
  start_bg dockerd dockerd --bridge=none --iptables=false --ip6tables=false
  wait_for "dockerd" 60 docker info
}

# ---------------------------------------------------------------- systemd host image
# The tag is the hash of this recipe: change the packages or the steps and it rebuilds.
image_tag() {
  printf '%s\n' "$SYSTEMD_PACKAGES" "$(declare -f build_rootfs)" | sha256sum | cut -c1-12
}

debian_mirror() {
  # The machine's own apt source (no mirror is hard-coded here).
  local uri
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt sources"
  echo "$uri"
}

build_rootfs() {
  local rootfs=$1
  debootstrap --variant=minbase --include="$SYSTEMD_PACKAGES" bookworm "$rootfs" "$(debian_mirror)" >"$LAB/debootstrap.log" 2>&1 \
    || { tail -20 "$LAB/debootstrap.log" >&2; die "debootstrap failed"; }
  # nginx is installed but left to the roles: disabled, no default site.
  rm -f "$rootfs/etc/systemd/system/multi-user.target.wants/nginx.service" "$rootfs/etc/nginx/sites-enabled/default"
  # Units that make no sense in a container.
  for unit in systemd-udevd.service systemd-udev-trigger.service getty@tty1.service console-getty.service \
              systemd-remount-fs.service sys-kernel-debug.mount sys-kernel-tracing.mount; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  echo "lab-host" >"$rootfs/etc/hostname"
  # sshd: off in the image; each host gets its own 127.0.0.1 port when it starts (up_ssh),
  # since every container shares the machine's network. Key auth only.
  rm -f "$rootfs/etc/systemd/system/multi-user.target.wants/ssh.service" "$rootfs/etc/systemd/system/sshd.service" \
        "$rootfs/etc/systemd/system/sockets.target.wants/ssh.socket"
  printf 'ListenAddress 127.0.0.1\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUseDNS no\n' \
    >"$rootfs/etc/ssh/sshd_config.d/00-lab.conf"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
}

up_image() {
  local tag image
  tag=$(image_tag)
  image="opsforge-lab/systemd-host:$tag"
  if docker image inspect "$image" >/dev/null 2>&1; then echo "$image" >"$LAB/image"; return 0; fi
  log "building $image with debootstrap (about a minute)"
  local rootfs="$CACHE/rootfs-$tag"
  rm -rf "$rootfs"
  build_rootfs "$rootfs"
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' - "$image" >/dev/null
  rm -rf "$rootfs"
  echo "$image" >"$LAB/image"
}

# ---------------------------------------------------------------- systemd hosts
host_running() { [ "$(docker inspect -f '{{.State.Running}}' "opsforge-lab-$1" 2>/dev/null)" = "true" ]; }

host_ready() {
  local state
  state=$(docker exec "opsforge-lab-$1" systemctl is-system-running 2>/dev/null || true)
  [ "$state" = "running" ] || [ "$state" = "degraded" ]
}

# up_hosts [NAME...]: start the systemd host containers (default: the panel and deploy hosts).
up_hosts() {
  local image name
  local hosts=("$@")
  [ ${#hosts[@]} -gt 0 ] || hosts=("${HOSTS[@]}")
  image=$(cat "$LAB/image")
  for h in "${hosts[@]}"; do
    name="opsforge-lab-$h"
    if host_running "$h" && [ "$(docker inspect -f '{{.Config.Image}}' "$name")" = "$image" ]; then continue; fi
    docker rm -f "$name" >/dev/null 2>&1 || true
    log "starting systemd host $name"
    docker run -d --name "$name" --hostname "$h-host" --label opsforge-lab=host \
      --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
      --cgroupns=host --network host \
      -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
      "$image" >/dev/null
  done
  for h in "${hosts[@]}"; do
    wait_for "systemd in opsforge-lab-$h" 90 host_ready "$h"
    local state
    state=$(docker exec "opsforge-lab-$h" systemctl is-system-running 2>/dev/null || true)
    if [ "$state" != "running" ]; then
      docker exec "opsforge-lab-$h" systemctl --failed --no-legend >&2 || true
      die "opsforge-lab-$h is $state, not running"
    fi
  done
}

# ---------------------------------------------------------------- ssh into the hosts
# Users reach their hosts over SSH: each host runs sshd on its own 127.0.0.1 port with the
# lab's client key in root's authorized_keys. Client files live in .lab/ssh/.
ssh_client_key() {
  mkdir -p "$LAB/ssh"
  chmod 0700 "$LAB/ssh"
  [ -s "$LAB/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C opsforge-lab -f "$LAB/ssh/id_ed25519"
  touch "$LAB/ssh/known_hosts"
}

# up_ssh_host NAME PORT: configure and start sshd in the running container opsforge-lab-NAME.
up_ssh_host() {
  local name="opsforge-lab-$1" port=$2
  docker exec -i "$name" sh -c "umask 077; mkdir -p /root/.ssh; cat > /root/.ssh/authorized_keys" <"$LAB/ssh/id_ed25519.pub"
  if ! docker exec "$name" grep -qx "Port $port" /etc/ssh/sshd_config.d/10-port.conf 2>/dev/null \
     || ! docker exec "$name" systemctl is-active -q ssh; then
    docker exec "$name" sh -c "echo 'Port $port' > /etc/ssh/sshd_config.d/10-port.conf && systemctl enable -q ssh && systemctl restart ssh"
  fi
  wait_for "sshd of $name on 127.0.0.1:$port" 30 \
    ssh -p "$port" -i "$LAB/ssh/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=accept-new \
      -o UserKnownHostsFile="$LAB/ssh/known_hosts" -o ConnectTimeout=5 root@127.0.0.1 true
}

up_ssh() {
  ssh_client_key
  for h in "${HOSTS[@]}" "${FLEET[@]}"; do
    host_running "$h" || continue
    up_ssh_host "$h" "${SSH_PORTS[$h]}"
  done
}

trust_pebble_in_hosts() {
  # The ACME client on the hosts talks to Pebble over TLS: trust the listener cert there.
  for h in "${HOSTS[@]}"; do
    host_running "$h" || continue
    if ! docker exec "opsforge-lab-$h" cmp -s /usr/local/share/ca-certificates/opsforge-pebble.crt - <"$LAB/pebble/listener.pem"; then
      docker exec -i "opsforge-lab-$h" sh -c 'cat > /usr/local/share/ca-certificates/opsforge-pebble.crt && update-ca-certificates >/dev/null' \
        <"$LAB/pebble/listener.pem"
    fi
  done
}

# ---------------------------------------------------------------- registry
up_registry() {
  if curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1; then return 0; fi
  mkdir -p "$LAB/registry/data"
  cat >"$LAB/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $LAB/registry/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
  log "starting docker-registry on $REGISTRY"
  start_bg registry docker-registry serve "$LAB/registry/config.yml"
  wait_for "registry" 30 curl -fsS "http://$REGISTRY/v2/"
}

# ---------------------------------------------------------------- test images
# Tiny images FROM scratch with busybox-static: an HTTP app whose version, health status and
# start-up delay come from env vars; one that is never healthy; one that exits at once.
make_app_context() {
  local ctx=$1
  rm -rf "$ctx"
  mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/www/cgi-bin" "$ctx/rootfs/tmp"
  cp /bin/busybox "$ctx/rootfs/bin/busybox"
  for applet in sh httpd sleep wget cat echo printf mkdir; do ln -s busybox "$ctx/rootfs/bin/$applet"; done
  cat >"$ctx/rootfs/bin/app" <<'EOF'
#!/bin/sh
# opsforge test app: busybox httpd serving version=$APP_VERSION and a health CGI.
echo "testapp: version=${APP_VERSION} port=${PORT} health=${HEALTH_STATUS} delay=${STARTUP_DELAY}" >&2
sleep "${STARTUP_DELAY:-0}"
echo "version=${APP_VERSION}" > /www/index.html
exec httpd -f -p "127.0.0.1:${PORT}" -h /www
EOF
  cat >"$ctx/rootfs/www/cgi-bin/health" <<'EOF'
#!/bin/sh
code="${HEALTH_STATUS:-200}"
if [ "$code" = "200" ]; then body=ok; reason=OK; else body=unhealthy; reason=Unhealthy; fi
printf 'Status: %s %s\r\nContent-Type: text/plain\r\n\r\n%s\n' "$code" "$reason" "$body"
EOF
  chmod 0755 "$ctx/rootfs/bin/app" "$ctx/rootfs/www/cgi-bin/health"
  chmod 1777 "$ctx/rootfs/tmp"
}

build_image() {
  local ctx=$1 ref=$2 env=$3 cmd=$4
  cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
ENV PATH=/bin PORT=8080 STARTUP_DELAY=0 $env
LABEL org.opencontainers.image.source=opsforge-lab
HEALTHCHECK --interval=1s --timeout=2s --start-period=2s --retries=2 CMD wget -q -O /dev/null "http://127.0.0.1:\$PORT/cgi-bin/health" || exit 1
CMD $cmd
EOF
  docker build -q --network host -t "$ref" "$ctx" >/dev/null
  docker push "$ref" >/dev/null
}

registry_has() { curl -fsS "http://$REGISTRY/v2/$1/manifests/$2" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' >/dev/null 2>&1; }

up_images() {
  local ctx="$LAB/build/testapp"
  local stamp
  stamp=$( { declare -f make_app_context build_image; sha256sum /bin/busybox; } | sha256sum | cut -c1-12)
  if [ "$(cat "$LAB/images.stamp" 2>/dev/null)" = "$stamp" ] \
     && registry_has opsforge/testapp 1.0 && registry_has opsforge/testapp 2.0 \
     && registry_has opsforge/unhealthy 1.0 && registry_has opsforge/crash 1.0; then
    return 0
  fi
  log "building and pushing test images to $REGISTRY"
  make_app_context "$ctx"
  build_image "$ctx" "$REGISTRY/opsforge/testapp:1.0" "APP_VERSION=1.0 HEALTH_STATUS=200" '["/bin/app"]'
  build_image "$ctx" "$REGISTRY/opsforge/testapp:2.0" "APP_VERSION=2.0 HEALTH_STATUS=200" '["/bin/app"]'
  build_image "$ctx" "$REGISTRY/opsforge/unhealthy:1.0" "APP_VERSION=unhealthy HEALTH_STATUS=500" '["/bin/app"]'
  build_image "$ctx" "$REGISTRY/opsforge/crash:1.0" "APP_VERSION=crash HEALTH_STATUS=200" '["/bin/sh", "-c", "echo crashing >&2; exit 1"]'
  echo "$stamp" >"$LAB/images.stamp"
}

# ---------------------------------------------------------------- pebble (ACME)
pebble_up() { curl -fsS --cacert "$LAB/pebble/listener.pem" https://127.0.0.1:14000/dir >/dev/null 2>&1; }

up_pebble() {
  local dir="$LAB/pebble"
  mkdir -p "$dir"
  if [ ! -s "$dir/listener.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$dir/listener.key" -out "$dir/listener.pem" 2>/dev/null
  fi
  cat >"$dir/pebble-config.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:14000", "managementListenAddress": "127.0.0.1:15000",
 "certificate": "$dir/listener.pem", "privateKey": "$dir/listener.key",
 "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
EOF
  if ! pid_alive "$LAB/challtestsrv.pid"; then
    start_bg challtestsrv pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 127.0.0.1:8053 \
      -http01 "" -https01 "" -tlsalpn01 "" -management 127.0.0.1:8055
    wait_for "pebble-challtestsrv" 30 curl -sS -o /dev/null http://127.0.0.1:8055/
  fi
  if ! pebble_up; then
    log "starting pebble on 127.0.0.1:14000"
    rm -f "$LAB/pebble.pid"
    PEBBLE_VA_NOSLEEP=1 start_bg pebble pebble -config "$dir/pebble-config.json" -dnsserver 127.0.0.1:8053 -strict
    wait_for "pebble" 30 pebble_up
    up_pebble_root
  fi
  trust_pebble_in_hosts
}

up_pebble_root() {
  # Pebble makes a new root at every start: fetch the one issued chains verify against.
  curl -fsS --cacert "$LAB/pebble/listener.pem" https://127.0.0.1:15000/roots/0 -o "$LAB/pebble/root.pem.tmp"
  mv "$LAB/pebble/root.pem.tmp" "$LAB/pebble/root.pem"
}

# ---------------------------------------------------------------- env file
write_env() {
  cat >"$LAB/lab.env.tmp" <<EOF
# Written by lab/up.sh; read by tests/lab.py. Everything listens on 127.0.0.1.
LAB_ROOT=$LAB
LAB_REGISTRY=$REGISTRY
LAB_IMAGE_TESTAPP_V1=$REGISTRY/opsforge/testapp:1.0
LAB_IMAGE_TESTAPP_V2=$REGISTRY/opsforge/testapp:2.0
LAB_IMAGE_UNHEALTHY=$REGISTRY/opsforge/unhealthy:1.0
LAB_IMAGE_CRASH=$REGISTRY/opsforge/crash:1.0
LAB_SYSTEMD_IMAGE=$(cat "$LAB/image")
LAB_PANEL_CONTAINER=opsforge-lab-panel
LAB_DEPLOY_CONTAINER=opsforge-lab-deploy
LAB_PEBBLE_DIRECTORY=https://127.0.0.1:14000/dir
LAB_PEBBLE_MANAGEMENT=https://127.0.0.1:15000
LAB_PEBBLE_LISTENER_CA=$LAB/pebble/listener.pem
LAB_PEBBLE_ROOT=$LAB/pebble/root.pem
LAB_PEBBLE_PIDFILE=$LAB/pebble.pid
LAB_CHALLTESTSRV=http://127.0.0.1:8055
LAB_SSH_KEY=$LAB/ssh/id_ed25519
LAB_SSH_KNOWN_HOSTS=$LAB/ssh/known_hosts
LAB_SSH_PORT_PANEL=${SSH_PORTS[panel]}
LAB_SSH_PORT_DEPLOY=${SSH_PORTS[deploy]}
EOF
  mv "$LAB/lab.env.tmp" "$LAB/lab.env"
}

# ---------------------------------------------------------------- main
pieces=("$@")
[ ${#pieces[@]} -gt 0 ] || pieces=(docker image hosts fleet registry images pebble env)
for piece in "${pieces[@]}"; do
  case "$piece" in
    docker) up_docker ;;
    image) up_docker; up_image ;;
    hosts) up_docker; up_image; up_hosts; up_ssh ;;
    ssh) up_ssh ;;
    fleet) up_docker; up_image; up_hosts "${FLEET[@]}"; up_ssh ;;
    registry) up_registry ;;
    images) up_docker; up_registry; up_images ;;
    pebble) up_pebble ;;
    pebble-root) up_pebble_root ;;
    env) write_env ;;
    *) die "unknown piece: $piece" ;;
  esac
done
[ $# -gt 0 ] || log "up: docker, hosts (${HOSTS[*]}), fleet (${FLEET[*]}, SSH only), registry $REGISTRY, test images, pebble — see .lab/lab.env"
