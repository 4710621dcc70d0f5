#!/usr/bin/env bash
# deploy/check.sh: CI's proof of the container contract, on a machine
# without Docker. It builds the binary exactly as deploy/Dockerfile does
# (deploy/build.sh) and checks that it is static and stamped; runs it the
# way the image and the Helm chart do (configuration from the environment
# only, UID 65532, read-only root filesystem with a tmpfs /tmp, no
# capabilities) against the simulators (helpdesk-sync-sim) and Redis;
# probes it through its own healthcheck command, as the image's
# HEALTHCHECK does; stops it with SIGTERM and expects exit 0 within the
# grace; and runs the Helm chart's tests (helm lint and template, every
# manifest decoded strictly into the Kubernetes API types).
#
# Run from anywhere, as root (for setpriv and the mount namespace); Redis
# at REDIS_URL or 127.0.0.1:6379. Keys go under a prefix of the check's own,
# deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
fatal() { fail "$*"; finish; }
finish() {
  printf '\ncontainer-contract: %d passed, %d failed\n' "$passed" "$failed"
  [ "$failed" -eq 0 ] && exit 0 || exit 1
}

uid=65532
grace=10s
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/0}
prefix="helpdesk-sync-check:$$:"
# Not under /tmp: the service gets a fresh tmpfs there.
work=$(mktemp -d /var/tmp/helpdesk-sync-check.XXXXXX)
chmod 0755 "$work"
bin=$work/helpdesk-sync
sim=$work/helpdesk-sync-sim
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -u "$redis_url" --scan --pattern "${prefix}*" 2>/dev/null | xargs -r redis-cli -u "$redis_url" del >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

nonroot=(setpriv --reuid "$uid" --regid "$uid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs)
as_nonroot() { "${nonroot[@]}" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fetch() { curl -fsS --max-time 5 "$1"; }

# 1. Build as the Dockerfile does.
version=0.0.0-check
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
deploy/build.sh "$bin" "$version" "$commit" "$(date -u +%FT%TZ)"
chmod 0755 "$bin"
ok "built with deploy/build.sh: $(stat -c %s "$bin") bytes"

# 2. Static, cgo-free, path-trimmed, stamped.
info=$(go version -m "$bin")
grep -q 'CGO_ENABLED=0' <<<"$info" && ok "go version -m: CGO_ENABLED=0" || fail "go version -m lacks CGO_ENABLED=0"
grep -q -- '-trimpath=true' <<<"$info" && ok "go version -m: -trimpath" || fail "go version -m lacks -trimpath=true"
if command -v file >/dev/null; then
  desc=$(file -b "$bin")
  grep -q 'statically linked' <<<"$desc" && ok "file: statically linked" || fail "file: $desc"
else
  echo "note: file(1) is missing; static linking checked by go version -m only"
fi
stamp=$("$bin" version --json)
grep -q "\"version\": \"$version\"" <<<"$stamp" && grep -q "\"commit\": \"$commit\"" <<<"$stamp" &&
  ok "version stamped via -ldflags" || fail "version --json: $stamp"

# 3. The simulators, as the same non-root user.
redis-cli -u "$redis_url" ping | grep -q PONG || fatal "no Redis at $redis_url"
zp=$(free_port); jp=$(free_port); sp=$(free_port); hp=$(free_port); ap=$(free_port)
PKG=./cmd/helpdesk-sync-sim deploy/build.sh "$sim"
chmod 0755 "$sim"
# A simple command, not the function: $! is then the simulator's own PID,
# which cleanup's kill reaches (a backgrounded function is a subshell).
"${nonroot[@]}" "$sim" --zendesk "127.0.0.1:$zp" --jira "127.0.0.1:$jp" --slack "127.0.0.1:$sp" --tickets 300 >"$work/simulate.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'Serving until interrupted' "$work/simulate.log" && break; sleep 0.1; done
grep -q 'Serving until interrupted' "$work/simulate.log" || { cat "$work/simulate.log"; fatal "simulators did not start"; }

# 4. The service: environment only, UID 65532, read-only root, tmpfs /tmp,
# no capabilities, working directory read-only; two listeners as the chart
# has them (public http.listen, operators' http.admin_listen).
env_only=(
  "HELPDESK_SYNC_ZENDESK_URL=http://127.0.0.1:$zp" "HELPDESK_SYNC_ZENDESK_EMAIL=sync@example.com"
  "HELPDESK_SYNC_ZENDESK_TOKEN=zendesktest-token" "HELPDESK_SYNC_ZENDESK_KEYS_FIELD_ID=360001234567"
  "HELPDESK_SYNC_ZENDESK_STATUS_FIELD_ID=360007654321" "HELPDESK_SYNC_ZENDESK_TIER_FIELD=customer_tier"
  "HELPDESK_SYNC_ZENDESK_EXPORT_REQUESTS_PER_MINUTE=400"
  "HELPDESK_SYNC_JIRA_URL=http://127.0.0.1:$jp" "HELPDESK_SYNC_JIRA_EMAIL=helpdesk-sync@example.com"
  "HELPDESK_SYNC_JIRA_TOKEN=service-api-token" "HELPDESK_SYNC_JIRA_PROJECTS=PROJ,WEB,MOB"
  "HELPDESK_SYNC_JIRA_CUSTOMER_COUNT_FIELD=customfield_10042"
  "HELPDESK_SYNC_REDIS_URL=$redis_url" "HELPDESK_SYNC_REDIS_KEY_PREFIX=$prefix"
  "HELPDESK_SYNC_HTTP_LISTEN=127.0.0.1:$hp" "HELPDESK_SYNC_HTTP_ADMIN_LISTEN=127.0.0.1:$ap"
  "HELPDESK_SYNC_SYNC_POLL_INTERVAL=2s"
  "HELPDESK_SYNC_SYNC_SHUTDOWN_GRACE=$grace" "HELPDESK_SYNC_LOG_FORMAT=json"
)
if unshare --mount --propagation private true 2>/dev/null; then
  # exec all the way down: $! is the service's own PID.
  unshare --mount --propagation private -- /bin/sh -c '
    mount --bind / / && mount -o remount,bind,ro / && mount -t tmpfs -o mode=1777,size=64m tmpfs /tmp && cd / &&
    exec setpriv --reuid "$0" --regid "$0" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs "$@"' \
    "$uid" env -i "${env_only[@]}" "$bin" run >"$work/run.log" 2>&1 &
  rootfs="read-only root filesystem, tmpfs /tmp"
else
  echo "note: no mount namespace here; the root filesystem stays writable (UID $uid can write only where others may)"
  (cd "$work" && exec "${nonroot[@]}" env -i "${env_only[@]}" "$bin" run >"$work/run.log" 2>&1) &
  rootfs="writable root filesystem"
fi
service=$!
pids+=("$service")

healthy=false
for _ in $(seq 1 100); do
  if as_nonroot env -i "HELPDESK_SYNC_HTTP_LISTEN=127.0.0.1:$hp" "$bin" healthcheck >/dev/null 2>&1; then healthy=true; break; fi
  sleep 0.1
done
$healthy && ok "healthcheck (the image's HEALTHCHECK) passes: UID $uid, env only, $rootfs" || { cat "$work/run.log"; fatal "healthcheck never passed"; }
[ "$(stat -c %u "/proc/$service")" = "$uid" ] && ok "runs as UID $uid" || fail "runs as UID $(stat -c %u "/proc/$service")"
grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$service/status" && ok "no effective capabilities" || fail "$(grep CapEff "/proc/$service/status")"

ready=false
for _ in $(seq 1 300); do
  if as_nonroot "$bin" healthcheck --url "http://127.0.0.1:$ap/readyz" >/dev/null 2>&1; then ready=true; break; fi
  sleep 0.1
done
$ready && ok "/readyz answers 200" || { fetch "http://127.0.0.1:$ap/readyz" || true; fatal "/readyz never answered 200"; }
readyz=$(fetch "http://127.0.0.1:$ap/readyz")
for check in redis config sync guard; do
  grep -q "\"name\": \"$check\"" <<<"$readyz" || fail "/readyz lacks the $check check: $readyz"
done
grep -q '"detail": "leader (fencing token' <<<"$readyz" && ok "/readyz lists its checks; this replica leads" || fail "/readyz: $readyz"
public_readyz=$(fetch "http://127.0.0.1:$hp/readyz" || true)
public_metrics=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$hp/metrics" || true)
grep -q '"status": "ready"' <<<"$public_readyz" && ! grep -q '"checks"' <<<"$public_readyz" && [ "$public_metrics" = 404 ] &&
  ok "public listener: /readyz status alone, no /metrics" || fail "public listener: /readyz $public_readyz, /metrics $public_metrics"

# 5. Work done, then idle: the backfill syncs, and a few idle cycles follow.
synced=false
for _ in $(seq 1 120); do
  if fetch "http://127.0.0.1:$ap/metrics" | grep -q '^helpdesk_sync_cycles_total{result="ok",step="cycle"} [3-9]'; then synced=true; break; fi
  sleep 0.5
done
metrics=$(fetch "http://127.0.0.1:$ap/metrics")
$synced && ok "three successful cycles (backfill, then idle)" || fail "no three successful cycles: $(grep '^helpdesk_sync_cycles_total' <<<"$metrics")"
writes=$(awk '/^helpdesk_sync_writes_total/ {n += $2} END {print n + 0}' <<<"$metrics")
[ "$writes" -gt 0 ] && ok "/metrics: $writes writes made to the simulators" || fail "/metrics shows no writes"
rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$service/status")
ok "RSS at idle after the backfill of 300 tickets: $((rss_kib / 1024)) MiB ($rss_kib KiB)"
if grep -qi 'read-only file system\|permission denied' "$work/run.log"; then
  fail "the service tried to write: $(grep -i 'read-only file system\|permission denied' "$work/run.log" | head -3)"
else
  ok "no write refused in the logs"
fi

# 6. SIGTERM: exit 0 within the grace, the lease released.
start=$(date +%s%N)
kill -TERM "$service"
code=0
wait "$service" || code=$?
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$code" -eq 0 ] && ok "SIGTERM: exit 0 in ${took_ms}ms (grace $grace)" || { tail -20 "$work/run.log"; fail "SIGTERM: exit $code after ${took_ms}ms"; }
grep -q '"msg":"lease released"' "$work/run.log" && ok "lease released on SIGTERM" || fail "no lease release in the logs"
[ -z "$(redis-cli -u "$redis_url" get "${prefix}leader")" ] && ok "no leader key left in Redis" || fail "the leader key outlived the process"
as_nonroot "$bin" healthcheck --url "http://127.0.0.1:$hp/healthz" >/dev/null 2>&1 && fail "healthcheck passes with the service stopped" ||
  ok "healthcheck fails once the service is gone"

# 7. The Helm chart: helm lint and template (helm pinned in that module's
# go.mod), strict decoding, and this binary validating the chart's config.
if (cd deploy/helm/check && HELPDESK_SYNC_BIN="$bin" go test -count=1 ./...); then
  ok "Helm chart: lint, template, strict decoding into the Kubernetes types, configuration validates"
else
  fail "Helm chart tests"
fi

finish
