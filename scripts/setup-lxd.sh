#!/usr/bin/env bash
# Prepare this host's LXD for Labsite, then write the settings the platform reads.
#
# Installs LXD and its tools from the distribution's packages and starts the
# daemon when nothing runs it. Then creates what Labsite uses:
#   - the storage pool, the bridge network and host firewall rules for that bridge,
#   - the project and its profile,
#   - the HTTPS API with a client certificate trusted only for the project,
#   - the platform's SSH key and the lab image.
# Every step checks what exists first, so a second run changes nothing and takes
# seconds. Runs as root and re-executes itself with sudo when started by another
# user. Supports Debian and Ubuntu hosts.
#
# Environment variables (all optional):
#   LABSITE_STATE_DIR        directory for certificates, keys and lxd.env
#                            (default: <repository>/var)
#   LABSITE_POOL_SIZE        size of the btrfs loop file, a sparse file (default: 30GiB)
#   LABSITE_BRIDGE_ADDRESS   gateway address and prefix of the bridge (default: 10.87.0.1/24)
#   LABSITE_DEBIAN_MIRROR    Debian mirror URL for the lab image
#                            (default: the Debian mirror in this host's apt sources)
#   LABSITE_DEBIAN_SECURITY_MIRROR
#                            Debian security mirror URL (default: from apt sources)
#   LABSITE_CACHE_DIR        where the built image tarball is kept (default: /var/cache/labsite)
#   LABSITE_REBUILD_IMAGE=1  build and import the image again even if the alias exists
#   LABSITE_LXD_LOG          log file of a daemon this script starts
#                            (default: /var/log/labsite-lxd.log)
#
# Exit status is 0 on success. On failure the script prints the step that failed.

set -euo pipefail
set -E

if [[ $EUID -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "setup-lxd: must run as root, and sudo is not installed" >&2
        exit 1
    fi
    exec sudo --preserve-env=LABSITE_STATE_DIR,LABSITE_POOL_SIZE,LABSITE_BRIDGE_ADDRESS,LABSITE_DEBIAN_MIRROR,LABSITE_DEBIAN_SECURITY_MIRROR,LABSITE_CACHE_DIR,LABSITE_REBUILD_IMAGE,LABSITE_LXD_LOG \
        -- "$(readlink -f "${BASH_SOURCE[0]}")" "$@"
fi

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
REPO_DIR="$(dirname "$(dirname "$SCRIPT_PATH")")"

STATE_DIR="${LABSITE_STATE_DIR:-$REPO_DIR/var}"
POOL_SIZE="${LABSITE_POOL_SIZE:-30GiB}"
BRIDGE_ADDRESS="${LABSITE_BRIDGE_ADDRESS:-10.87.0.1/24}"
CACHE_DIR="${LABSITE_CACHE_DIR:-/var/cache/labsite}"
LXD_LOG="${LABSITE_LXD_LOG:-/var/log/labsite-lxd.log}"

PROJECT=labsite
POOL=labsite
NETWORK=labsitebr0
PROFILE=labsite
IMAGE_ALIAS=labsite/debian-12
IMAGE_SUITE=bookworm
HTTPS_ADDRESS=127.0.0.1:8443
ENDPOINT="https://$HTTPS_ADDRESS"
TRUST_NAME=labsite-platform
FIREWALL_TABLE=labsite

HOST_PACKAGES=(
    lxd lxd-client dnsmasq-base
    iptables nftables iproute2 procps
    btrfs-progs
    debootstrap debian-archive-keyring gzip
    openssl openssh-client curl ca-certificates
)

# libpam-systemd puts each SSH login in a cgroup of the user's slice, so ending an
# exam kills what the student started, with sudo and setsid included.
IMAGE_PACKAGES=(
    systemd-sysv systemd-resolved udev dbus libpam-systemd
    openssh-server sudo
    bash-completion less nano vim-tiny man-db manpages
    procps iproute2 iputils-ping netbase curl ca-certificates tzdata
)

current_step="start"
build_dir=""
build_log=""
declare -a build_mounts=()

# File descriptor 3 keeps the terminal's stderr for error messages while a step sends its
# own output to a log.
exec 3>&2

say() {
    printf '%s\n' "$*"
}

# Talk to this host's daemon through its unix socket even when root's lxc configuration
# selects another default remote.
lxc() {
    command lxc --force-local "$@"
}

fail() {
    printf 'setup-lxd: %s: %s\n' "$current_step" "$*" >&3
    exit 1
}

on_error() {
    local status=$1 command=$2 line=$3
    # A failing command substitution also runs this trap in its subshell, so only the parent reports.
    if ((BASH_SUBSHELL > 0)); then
        exit "$status"
    fi
    if [[ -n "$build_log" ]]; then
        tail -n 30 "$build_log" >&3
    fi
    printf 'setup-lxd: step "%s" failed: "%s" exited with status %s (line %s)\n' \
        "$current_step" "$command" "$status" "$line" >&3
    if [[ -n "$build_log" ]]; then
        printf 'setup-lxd: the full build log is %s\n' "$build_log" >&3
    fi
    exit "$status"
}

on_exit() {
    if [[ -n "$build_dir" ]]; then
        remove_build_dir
    fi
}

trap 'on_error $? "$BASH_COMMAND" $LINENO' ERR
trap on_exit EXIT

# --- host packages and daemon -------------------------------------------------

package_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

install_packages() {
    current_step="packages"
    if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
        fail "apt-get and dpkg-query not found; this script supports Debian and Ubuntu hosts only"
    fi

    # An LXD that does not come from a .deb (the snap on Ubuntu) is used as it is.
    local lxd_from_elsewhere=no
    if command -v lxd >/dev/null 2>&1 && ! package_installed lxd; then
        lxd_from_elsewhere=yes
    fi

    local missing=() package
    for package in "${HOST_PACKAGES[@]}"; do
        if [[ "$lxd_from_elsewhere" == yes && "$package" == lxd* ]]; then
            continue
        fi
        if ! package_installed "$package"; then
            missing+=("$package")
        fi
    done

    if ((${#missing[@]} == 0)); then
        say "packages: already installed"
        return
    fi

    local started=$SECONDS log
    log="$(mktemp /tmp/labsite-apt.XXXXXX)"
    # NOTE: on Ubuntu 22.04 and later the "lxd" package installs the LXD snap, which needs snapd.
    # That path has not been tested.
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
        tail -n 20 "$log" >&3
        fail "apt-get failed installing ${missing[*]}; full output in $log"
    fi
    rm -f "$log"
    say "packages: installed ${missing[*]} in $((SECONDS - started)) s"
}

lxd_answers() {
    lxc query /1.0 >/dev/null 2>&1
}

start_daemon() {
    current_step="LXD daemon"
    if lxd_answers; then
        say "LXD daemon: already running (LXD $(lxd --version))"
        return
    fi

    local how
    if pgrep -x lxd >/dev/null; then
        how="found a daemon that was still starting"
    elif [[ -d /run/systemd/system ]]; then
        systemctl start lxd.socket lxd.service
        how="started lxd.service"
    else
        # Without systemd nothing supervises the daemon. Debian's lxd.service raises the
        # open-file limit the same way, because every container uses many file descriptors.
        mkdir -p "$(dirname "$LXD_LOG")"
        # The daemon must not inherit the terminal or fd 3, or callers reading this script's
        # output through a pipe would wait for the daemon to exit.
        setsid -f bash -c 'ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || true; exec lxd --group root' \
            >>"$LXD_LOG" 2>&1 </dev/null 3>&-
        how="started in the background (log: $LXD_LOG)"
    fi

    if ! lxd waitready --timeout 120; then
        tail -n 20 "$LXD_LOG" >&3 2>/dev/null || true
        fail "the LXD daemon did not become ready within 120 s; see $LXD_LOG"
    fi
    say "LXD daemon: $how, LXD $(lxd --version)"
}

# Print the STATE column (CREATED, UNAVAILABLE, ...) of "lxc storage list" or "lxc network list"
# for one entry. Arguments: "storage" or "network", and the name.
lxd_entry_state() {
    lxc "$1" list --format csv | awk -F, -v name="$2" '$1 == name { print $NF }'
}

has_api_extension() {
    local info
    info="$(lxc info)"
    [[ $'\n'"$info"$'\n' == *$'\n'"- $1"$'\n'* ]]
}

# --- storage, network, firewall -----------------------------------------------

create_storage_pool() {
    current_step="storage pool $POOL"
    if lxc storage show "$POOL" >/dev/null 2>&1; then
        local driver state
        driver="$(lxc storage show "$POOL" | sed -n 's/^driver: //p')"
        state="$(lxd_entry_state storage "$POOL")"
        if [[ "$state" != CREATED ]]; then
            fail "exists, but LXD reports its state as \"$state\"; see $LXD_LOG, or /var/log/lxd/lxd.log when systemd runs LXD"
        fi
        say "storage pool $POOL: already present ($driver)"
        return
    fi

    local output
    if output="$(lxc storage create "$POOL" btrfs "size=$POOL_SIZE" 2>&1)"; then
        say "storage pool $POOL: created (btrfs on a $POOL_SIZE loop file)"
        return
    fi

    say "storage pool $POOL: btrfs failed (${output//$'\n'/ }), falling back to the dir driver"
    lxc storage create "$POOL" dir >/dev/null
    say "storage pool $POOL: created (dir, which copies the whole image at every launch)"
}

create_network() {
    current_step="network $NETWORK"
    if lxc network show "$NETWORK" >/dev/null 2>&1; then
        local state
        state="$(lxd_entry_state network "$NETWORK")"
        if [[ "$state" != CREATED ]]; then
            fail "exists, but LXD reports its state as \"$state\"; see $LXD_LOG, or /var/log/lxd/lxd.log when systemd runs LXD"
        fi
        say "network $NETWORK: already present ($(lxc network get "$NETWORK" ipv4.address))"
        return
    fi

    local overlapping
    overlapping="$(ip -4 route show match "${BRIDGE_ADDRESS%/*}" | grep -v '^default' || true)"
    if [[ -n "$overlapping" ]]; then
        fail "$BRIDGE_ADDRESS overlaps the existing route \"${overlapping//$'\n'/; }\"; set LABSITE_BRIDGE_ADDRESS to a free subnet"
    fi

    # A fixed subnet, because ipv4.address=auto makes LXD ping, and connect to port 22 on,
    # addresses of random 10.x.y.0/24 subnets to find an unused one.
    lxc network create "$NETWORK" "ipv4.address=$BRIDGE_ADDRESS" ipv4.nat=true ipv6.address=none >/dev/null
    say "network $NETWORK: created ($BRIDGE_ADDRESS, IPv4 NAT, no IPv6)"
}

# Print the nftables ruleset that keeps lab containers away from the host and from each other.
# Arguments: the comment every table carries, and "yes" to include the bridge table.
firewall_ruleset() {
    local comment=$1 with_bridge_table=$2
    cat <<EOF
table inet $FIREWALL_TABLE {
    comment "$comment"

    # Containers may reach this host's addresses only for DHCP, DNS and ping. They may also
    # reply to connections the host opened, such as SSH from the platform to a container.
    chain from_lab_to_host {
        ct state established,related accept
        udp dport 67 accept
        udp dport 53 accept
        tcp dport 53 accept
        icmp type echo-request accept
        reject with icmpx type admin-prohibited
    }

    chain input {
        type filter hook input priority filter; policy accept;
        iifname "$NETWORK" jump from_lab_to_host
    }

    chain forward {
        type filter hook forward priority filter; policy accept;
        iifname "$NETWORK" ct state established,related accept
        # Container-to-container traffic routed through the gateway, which port isolation does not
        # see. Where br_netfilter is active, bridged IP packets between containers also match.
        iifname "$NETWORK" oifname "$NETWORK" reject with icmpx type admin-prohibited
        # Destination NAT means a port published on a host address (a Docker port, for example).
        iifname "$NETWORK" ct status dnat reject with icmpx type admin-prohibited
    }
}
EOF
    if [[ "$with_bridge_table" == yes ]]; then
        cat <<EOF

table bridge $FIREWALL_TABLE {
    comment "$comment"

    # Every port of the bridge is a container, so drop every frame the bridge forwards from one
    # port to another. Frames to and from the host pass the input and output hooks instead.
    # This repeats security.port_isolation, and still applies to a container whose NIC settings
    # were changed through the LXD API.
    chain forward {
        type filter hook forward priority filter; policy accept;
        ibrname "$NETWORK" drop
    }
}
EOF
    fi
}

apply_host_firewall() {
    current_step="host firewall"

    # Matching the bridge name ("ibrname") needs a kernel built with CONFIG_NFT_BRIDGE_META.
    # "nft --check" sends the rules to the kernel without committing them.
    # NOTE: the bridge table has only been checked this way and rejected. It has not been loaded
    # on a kernel that supports it.
    local with_bridge_table=yes
    if ! firewall_ruleset "probe" yes | sed "s/table \([a-z]*\) $FIREWALL_TABLE /table \1 ${FIREWALL_TABLE}_probe /" |
        nft --check -f - >/dev/null 2>&1; then
        with_bridge_table=no
        if ! has_api_extension instance_nic_bridged_port_isolation; then
            fail "neither security.port_isolation (LXD) nor nftables bridge name matching (kernel) is available, so containers could reach each other"
        fi
    fi

    # Every table carries a digest of the ruleset in its comment, so a run can tell whether
    # the rules in the kernel are the current ones.
    local digest marker inet_table bridge_table
    digest="$(firewall_ruleset "labsite-setup" "$with_bridge_table" | sha256sum | cut -c1-16)"
    marker="labsite-setup $digest"
    inet_table="$(nft list table inet "$FIREWALL_TABLE" 2>/dev/null || true)"
    bridge_table="$(nft list table bridge "$FIREWALL_TABLE" 2>/dev/null || true)"
    local tables="tables inet and bridge $FIREWALL_TABLE"
    if [[ "$with_bridge_table" == no ]]; then
        tables="table inet $FIREWALL_TABLE"
        bridge_table="comment \"$marker\""
    fi
    if [[ "$inet_table" == *"comment \"$marker\""* && "$bridge_table" == *"comment \"$marker\""* ]]; then
        say "host firewall (nftables $tables): already present"
        return
    fi

    # In one transaction, create each table if missing, delete it and define the current rules.
    # The rules exist only in the kernel, so a host reboot removes them and the next run of
    # this script adds them again.
    {
        printf 'table inet %s\ndelete table inet %s\n' "$FIREWALL_TABLE" "$FIREWALL_TABLE"
        printf 'table bridge %s\ndelete table bridge %s\n' "$FIREWALL_TABLE" "$FIREWALL_TABLE"
        firewall_ruleset "$marker" "$with_bridge_table"
    } | nft -f -

    if [[ "$with_bridge_table" == yes ]]; then
        say "host firewall (nftables $tables): rules added"
    else
        say "host firewall (nftables $tables): rules added, without the bridge-level drop because this kernel cannot match bridge names in nftables"
    fi
}

# --- project, profile ----------------------------------------------------------

# The project keeps its own images, profiles and volumes, so a client trusted only
# for this project cannot change what the default project uses. It shares the default
# project's networks, which a restricted project may only use, never create.
PROJECT_FEATURES=(
    features.images=true
    features.profiles=true
    features.storage.volumes=true
    features.networks=false
)

# restricted=true blocks privileged and nested containers, raw LXC settings, host
# devices and snapshots. "isolated" also requires security.idmap.isolated, so every
# container gets its own range of host user ids. Snapshots are allowed again because
# exam grading keeps one of each exam container.
PROJECT_RESTRICTIONS=(
    restricted=true
    restricted.containers.privilege=isolated
    restricted.snapshots=allow
    "restricted.networks.access=$NETWORK"
)

create_project() {
    current_step="project $PROJECT"
    local setting key value changed=()

    if ! lxc project show "$PROJECT" >/dev/null 2>&1; then
        local create_args=()
        for setting in "${PROJECT_FEATURES[@]}" "${PROJECT_RESTRICTIONS[@]}"; do
            create_args+=(-c "$setting")
        done
        lxc project create "$PROJECT" "${create_args[@]}" >/dev/null
        say "project $PROJECT: created"
        return
    fi

    for setting in "${PROJECT_FEATURES[@]}"; do
        key="${setting%%=*}"
        value="${setting#*=}"
        if [[ "$(lxc project get "$PROJECT" "$key")" != "$value" ]]; then
            fail "$key is \"$(lxc project get "$PROJECT" "$key")\", expected \"$value\"; LXD changes features only on an empty project, so delete project $PROJECT and rerun"
        fi
    done

    for setting in "${PROJECT_RESTRICTIONS[@]}"; do
        key="${setting%%=*}"
        value="${setting#*=}"
        if [[ "$(lxc project get "$PROJECT" "$key")" != "$value" ]]; then
            lxc project set "$PROJECT" "$key" "$value"
            changed+=("$key")
        fi
    done

    if ((${#changed[@]} == 0)); then
        say "project $PROJECT: already present"
    else
        say "project $PROJECT: already present, set ${changed[*]}"
    fi
}

# Print the profile in the layout of "lxc profile show", up to the name line.
profile_yaml() {
    local port_isolation_line=""
    if has_api_extension instance_nic_bridged_port_isolation; then
        port_isolation_line='    security.port_isolation: "true"'
    fi
    cat <<EOF
config:
  security.idmap.isolated: "true"
description: Labsite lab container, isolated from other containers and the host
devices:
  eth0:
    name: eth0
    network: $NETWORK
    security.ipv4_filtering: "true"
    security.ipv6_filtering: "true"
    security.mac_filtering: "true"
$port_isolation_line
    type: nic
  root:
    path: /
    pool: $POOL
    type: disk
EOF
}

create_profile() {
    current_step="profile $PROFILE"
    local desired current
    desired="$(profile_yaml | sed '/^$/d')"

    if ! lxc profile show "$PROFILE" --project "$PROJECT" >/dev/null 2>&1; then
        lxc profile create "$PROFILE" --project "$PROJECT" >/dev/null
        lxc profile edit "$PROFILE" --project "$PROJECT" <<<"$desired"
        say "profile $PROFILE: created in project $PROJECT"
        return
    fi

    current="$(lxc profile show "$PROFILE" --project "$PROJECT" | sed '/^name: /,$d')"
    if [[ "$current" == "$desired" ]]; then
        say "profile $PROFILE: already present"
        return
    fi
    lxc profile edit "$PROFILE" --project "$PROJECT" <<<"$desired"
    say "profile $PROFILE: replaced its settings with the expected ones"
}

# --- HTTPS API, certificates, SSH key -----------------------------------------

enable_https_api() {
    current_step="HTTPS API"
    local current
    current="$(lxc config get core.https_address)"
    if [[ "$current" == "$HTTPS_ADDRESS" ]]; then
        say "HTTPS API: already on $HTTPS_ADDRESS"
        return
    fi
    lxc config set core.https_address "$HTTPS_ADDRESS"
    if [[ -n "$current" ]]; then
        say "HTTPS API: moved from $current to $HTTPS_ADDRESS"
    else
        say "HTTPS API: enabled on $HTTPS_ADDRESS"
    fi
}

certificate_matches_key() {
    local certificate=$1 key=$2
    [[ -s "$certificate" && -s "$key" ]] || return 1
    local certificate_public key_public
    certificate_public="$(openssl x509 -in "$certificate" -noout -pubkey 2>/dev/null)" || return 1
    key_public="$(openssl pkey -in "$key" -pubout 2>/dev/null)" || return 1
    [[ -n "$certificate_public" && "$certificate_public" == "$key_public" ]]
}

create_client_certificate() {
    current_step="client certificate"
    local certificate="$STATE_DIR/lxd/client.crt" key="$STATE_DIR/lxd/client.key"
    install -d -m 700 "$STATE_DIR/lxd"

    if certificate_matches_key "$certificate" "$key"; then
        chmod 600 "$key"
        say "client certificate: already present ($certificate)"
        return
    fi

    local old_umask
    old_umask="$(umask)"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -sha384 \
        -keyout "$key.tmp" -out "$certificate.tmp" -days 3650 -subj "/CN=$TRUST_NAME" \
        -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=clientAuth" \
        2>/dev/null
    umask "$old_umask"
    mv "$key.tmp" "$key"
    mv "$certificate.tmp" "$certificate"
    chmod 644 "$certificate"
    say "client certificate: created, ECDSA P-384, valid 10 years ($certificate)"
}

trust_client_certificate() {
    current_step="certificate trust"
    local certificate="$STATE_DIR/lxd/client.crt" fingerprint entry
    fingerprint="$(openssl x509 -in "$certificate" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')"

    if entry="$(lxc query "/1.0/certificates/$fingerprint" 2>/dev/null)"; then
        entry="$(tr -d '[:space:]' <<<"$entry")"
        if [[ "$entry" == *'"restricted":true'* && "$entry" == *"\"projects\":[\"$PROJECT\"]"* ]]; then
            say "certificate trust: already trusted for project $PROJECT only"
            return
        fi
        lxc config trust remove "$fingerprint"
        lxc config trust add "$certificate" --name "$TRUST_NAME" --restricted --projects "$PROJECT"
        say "certificate trust: replaced an unrestricted entry with one for project $PROJECT only"
        return
    fi

    lxc config trust add "$certificate" --name "$TRUST_NAME" --restricted --projects "$PROJECT"

    # NOTE: certificates of other state directories (another checkout, or files since deleted)
    # stay trusted. Remove them with "lxc config trust remove" when they are no longer used.
    say "certificate trust: client certificate trusted for project $PROJECT only"
}

save_server_certificate() {
    current_step="server certificate"
    local target="$STATE_DIR/lxd/server.crt" certificate
    # Read it through the API, which works wherever LXD keeps its files (the snap uses another directory).
    certificate="$(lxc info | sed -n '/^  certificate: |$/,/END CERTIFICATE/p' | sed '1d; s/^ *//')"
    if ! openssl x509 -noout <<<"$certificate" 2>/dev/null; then
        fail "could not read the server certificate from \"lxc info\""
    fi

    if [[ -f "$target" && "$(cat "$target")" == "$certificate" ]]; then
        say "server certificate: already saved ($target)"
    else
        printf '%s\n' "$certificate" >"$target.tmp"
        chmod 644 "$target.tmp"
        mv "$target.tmp" "$target"
        say "server certificate: saved ($target)"
    fi
}

check_https_access() {
    current_step="HTTPS API check"
    local response
    # LXD may need a moment to open the listener after core.https_address changes.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        if response="$(curl -sS --max-time 5 --noproxy '*' --cert "$STATE_DIR/lxd/client.crt" --key "$STATE_DIR/lxd/client.key" \
            --cacert "$STATE_DIR/lxd/server.crt" "$ENDPOINT/1.0?project=$PROJECT" 2>&1)"; then
            break
        fi
        sleep 0.5
    done
    if [[ "$(tr -d '[:space:]' <<<"$response")" != *'"auth":"trusted"'* ]]; then
        fail "$ENDPOINT did not accept the client certificate: ${response:0:300}"
    fi
    say "HTTPS API check: $ENDPOINT trusts the client certificate"
}

create_ssh_key() {
    current_step="SSH key"
    local key="$STATE_DIR/ssh/id_ed25519"
    install -d -m 700 "$STATE_DIR/ssh"

    if [[ -s "$key" ]]; then
        chmod 600 "$key"
        if [[ ! -s "$key.pub" ]]; then
            ssh-keygen -y -f "$key" >"$key.pub"
            say "SSH key: already present, public key written again ($key.pub)"
            return
        fi
        say "SSH key: already present ($key)"
        return
    fi

    rm -f "$key.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$TRUST_NAME" -f "$key"
    chmod 600 "$key"
    say "SSH key: created ($key)"
}

# --- lab image ----------------------------------------------------------------

# Print the URI of the first apt source entry of type "deb" whose suite is one of the arguments.
apt_source_uri() {
    local suites=" $* " file
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$file" ]] || continue
        awk -v suites="$suites" '
            $1 == "deb" {
                field = 2
                if ($field ~ /^\[/) { while ($field !~ /\]$/) field++; field++ }
                if (index(suites, " " $(field + 1) " ")) { print $field; exit }
            }' "$file"
    done
    for file in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$file" ]] || continue
        awk -v suites="$suites" '
            BEGIN { RS = ""; FS = "\n" }
            {
                types = ""; uris = ""; stanza_suites = ""; enabled = "yes"
                for (i = 1; i <= NF; i++) {
                    line = $i
                    if (line ~ /^#/) continue
                    key = tolower(line); sub(/:.*/, "", key)
                    value = line; sub(/^[^:]*:[ \t]*/, "", value)
                    if (key == "types") types = " " value " "
                    else if (key == "uris") uris = value
                    else if (key == "suites") stanza_suites = value
                    else if (key == "enabled") enabled = tolower(value)
                }
                if (enabled == "no" || index(types, " deb ") == 0) next
                split(stanza_suites, list, /[ \t]+/)
                for (s in list) if (index(suites, " " list[s] " ")) { split(uris, uri, /[ \t]+/); print uri[1]; exit }
            }' "$file"
    done
}

find_debian_mirrors() {
    local host_id="" host_codename=""
    if [[ -r /etc/os-release ]]; then
        # shellcheck source=/dev/null
        host_id="$(. /etc/os-release && echo "${ID:-}")"
        # shellcheck source=/dev/null
        host_codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    fi

    debian_mirror="${LABSITE_DEBIAN_MIRROR:-}"
    debian_security_mirror="${LABSITE_DEBIAN_SECURITY_MIRROR:-}"

    # A Debian host of another release lists a mirror that also serves bookworm.
    if [[ -z "$debian_mirror" ]]; then
        debian_mirror="$(apt_source_uri "$IMAGE_SUITE")"
        if [[ -z "$debian_mirror" && "$host_id" == "debian" && -n "$host_codename" ]]; then
            debian_mirror="$(apt_source_uri "$host_codename")"
        fi
    fi
    if [[ -z "$debian_mirror" ]]; then
        fail "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d; set LABSITE_DEBIAN_MIRROR"
    fi

    if [[ -z "$debian_security_mirror" ]]; then
        debian_security_mirror="$(apt_source_uri "$IMAGE_SUITE-security")"
        if [[ -z "$debian_security_mirror" && "$host_id" == "debian" && -n "$host_codename" ]]; then
            debian_security_mirror="$(apt_source_uri "$host_codename-security")"
        fi
    fi

    # Keep the first line only: apt_source_uri prints one line per matching file.
    debian_mirror="${debian_mirror%%$'\n'*}"
    debian_mirror="${debian_mirror%/}"
    debian_security_mirror="${debian_security_mirror%%$'\n'*}"
    debian_security_mirror="${debian_security_mirror%/}"
}

# Run a command in the image's root file system with a clean environment, keeping only the proxy settings.
run_in_rootfs() {
    printf '+ %s\n' "$*"
    chroot "$build_dir/rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
        ${http_proxy:+"http_proxy=$http_proxy"} ${https_proxy:+"https_proxy=$https_proxy"} \
        ${no_proxy:+"no_proxy=$no_proxy"} "$@"
}

mount_build_filesystems() {
    local rootfs="$build_dir/rootfs"
    mount -t proc proc "$rootfs/proc"
    build_mounts+=("$rootfs/proc")
    mount -t sysfs -o ro sysfs "$rootfs/sys"
    build_mounts+=("$rootfs/sys")
    mount --bind /dev "$rootfs/dev"
    build_mounts+=("$rootfs/dev")
    mount --bind /dev/pts "$rootfs/dev/pts"
    build_mounts+=("$rootfs/dev/pts")
}

unmount_build_filesystems() {
    local index mount_point
    for ((index = ${#build_mounts[@]} - 1; index >= 0; index--)); do
        mount_point="${build_mounts[index]}"
        if mountpoint -q "$mount_point"; then
            umount "$mount_point" 2>/dev/null || umount -l "$mount_point"
        fi
    done
    build_mounts=()
}

remove_build_dir() {
    unmount_build_filesystems
    # Deleting through a leftover bind mount would delete files of the host's /dev.
    local mounts
    mounts="$(findmnt -rn -o TARGET)"
    if [[ $'\n'"$mounts" == *$'\n'"$build_dir/"* ]]; then
        say "image build: did not remove $build_dir because something is still mounted under it" >&2
    else
        rm -rf --one-file-system "$build_dir"
    fi
    build_dir=""
}

# Turn the debootstrapped tree into the lab image: apt sources and updates, accounts,
# SSH, networking, and removal of everything that must differ between containers.
configure_rootfs() {
    local rootfs="$build_dir/rootfs"

    {
        echo "deb $debian_mirror $IMAGE_SUITE main"
        echo "deb $debian_mirror $IMAGE_SUITE-updates main"
        if [[ -n "$debian_security_mirror" ]]; then
            echo "deb $debian_security_mirror $IMAGE_SUITE-security main"
        fi
    } >"$rootfs/etc/apt/sources.list"

    rm -f "$rootfs/etc/resolv.conf"
    cp -L /etc/resolv.conf "$rootfs/etc/resolv.conf"
    printf '#!/bin/sh\n# Do not start services while the image is being built.\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$rootfs/usr/sbin/policy-rc.d"

    mount_build_filesystems
    run_in_rootfs apt-get update
    run_in_rootfs apt-get -y -o Dpkg::Options::=--force-confold dist-upgrade

    # The student logs in with the platform's SSH key only. The password "*" matches nothing, and
    # unlike the "!" that useradd sets, sshd never treats it as a locked account.
    run_in_rootfs useradd --create-home --shell /bin/bash --comment "Lab student" student
    run_in_rootfs usermod --password '*' student
    # Without a PTY of its own, sudo leaves the lines typed after it (a lesson's
    # "Run" button types a whole block at once) for the shell, instead of
    # reading and dropping them as it does with Debian's default use_pty.
    printf 'student ALL=(ALL:ALL) NOPASSWD: ALL\nDefaults:student !use_pty\n' >"$rootfs/etc/sudoers.d/student"
    chmod 440 "$rootfs/etc/sudoers.d/student"
    run_in_rootfs visudo -c -q -f /etc/sudoers.d/student
    install -d -m 700 "$rootfs/root/.ssh"
    run_in_rootfs install -d -m 700 -o student -g student /home/student/.ssh

    # The platform runs check scripts as this second account with uid 0. Its login shell
    # is dash, which reads no start-up file for "sh -c", so nothing a student writes into
    # root's or their own .bashrc, .profile or /etc/profile runs before a check.
    run_in_rootfs useradd --non-unique --uid 0 --gid 0 --no-create-home \
        --home-dir /var/lib/labsite-check --shell /bin/sh --comment "Labsite checks" labsite-check
    run_in_rootfs usermod --password '*' labsite-check
    install -d -m 700 "$rootfs/var/lib/labsite-check" "$rootfs/var/lib/labsite-check/.ssh"

    cat >"$rootfs/etc/ssh/sshd_config.d/labsite.conf" <<'EOF'
# Labsite allows key-based logins only. The platform installs its public key for root,
# student and labsite-check.
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
EOF

    # Processes of SSH sessions can stay in ssh.service, whose default TasksMax (15% of the
    # container's process limit) would refuse new logins, the platform's checks included,
    # after about 25 sessions. The container's limits.processes still bounds them all.
    install -d "$rootfs/etc/systemd/system/ssh.service.d"
    printf '[Service]\nTasksMax=infinity\n' >"$rootfs/etc/systemd/system/ssh.service.d/labsite.conf"

    # Debian's openssh-server creates host keys when the package is installed, never at boot.
    # The image ships none, so every container creates its own before sshd starts.
    cat >"$rootfs/etc/systemd/system/ssh-host-keys.service" <<'EOF'
[Unit]
Description=Generate missing SSH host keys
Before=ssh.service ssh.socket

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=ssh.service ssh.socket
EOF

    cat >"$rootfs/etc/systemd/network/eth0.network" <<'EOF'
[Match]
Name=eth0

[Network]
DHCP=ipv4
EOF
    run_in_rootfs systemctl enable ssh-host-keys.service systemd-networkd.service systemd-resolved.service

    printf 'LANG=C.UTF-8\n' >"$rootfs/etc/default/locale"

    run_in_rootfs apt-get clean
    unmount_build_filesystems

    rm -f "$rootfs/usr/sbin/policy-rc.d"
    ln -sfn ../run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"
    # LXD writes /etc/hostname and /etc/hosts from the templates when it creates a container.
    : >"$rootfs/etc/hostname"
    chmod 644 "$rootfs/etc/hostname"
    # An empty machine-id makes systemd generate a new one at first boot.
    : >"$rootfs/etc/machine-id"
    rm -f "$rootfs/var/lib/dbus/machine-id"
    rm -f "$rootfs"/etc/ssh/ssh_host_*
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/debconf/*-old
    rm -rf "$rootfs"/tmp/* "$rootfs"/var/tmp/* "$rootfs"/root/.bash_history
    find "$rootfs/var/log" -type f -exec truncate -s 0 {} +
}

write_image_metadata() {
    local architecture serial
    architecture="$(uname -m)"
    serial="$(date -u +%Y%m%d%H%M)"
    mkdir -p "$build_dir/templates"
    cat >"$build_dir/metadata.yaml" <<EOF
architecture: $architecture
creation_date: $(date -u +%s)
properties:
  architecture: $(dpkg --print-architecture)
  description: Labsite lab image, Debian 12 ($IMAGE_SUITE), built $serial
  os: debian
  release: $IMAGE_SUITE
  serial: "$serial"
templates:
  /etc/hostname:
    when:
      - create
      - copy
      - rename
    template: hostname.tpl
  /etc/hosts:
    when:
      - create
      - copy
      - rename
    template: hosts.tpl
EOF
    printf '{{ container.name }}\n' >"$build_dir/templates/hostname.tpl"
    cat >"$build_dir/templates/hosts.tpl" <<'EOF'
127.0.0.1	localhost
127.0.1.1	{{ container.name }}
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
EOF
}

# Print a digest of everything that decides the image's content, used as the cache key.
image_recipe_digest() {
    {
        printf '%s\n' "$IMAGE_SUITE" "$debian_mirror" "$debian_security_mirror" "$(uname -m)" "${IMAGE_PACKAGES[*]}"
        declare -f build_image_tarball configure_rootfs write_image_metadata
    } | sha256sum | cut -c1-12
}

build_image_tarball() {
    local tarball=$1
    build_dir="$(mktemp -d "$CACHE_DIR/build.XXXXXX")"
    local packages
    packages="$(IFS=,; echo "${IMAGE_PACKAGES[*]}")"

    # debootstrap and the apt inside the chroot read the proxy from the environment only.
    local apt_proxy=""
    eval "$(apt-config shell apt_proxy Acquire::http::Proxy)"
    if [[ -z "${http_proxy:-}" && -n "$apt_proxy" ]]; then
        export http_proxy="$apt_proxy"
    fi

    debootstrap --variant=minbase --components=main --include="$packages" \
        --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        "$IMAGE_SUITE" "$build_dir/rootfs" "$debian_mirror"
    configure_rootfs
    write_image_metadata

    tar --numeric-owner --xattrs --xattrs-include='*' --sort=name -C "$build_dir" \
        -czf "$tarball.tmp" metadata.yaml templates rootfs
    mv "$tarball.tmp" "$tarball"
    remove_build_dir
}

import_image() {
    current_step="image $IMAGE_ALIAS"
    local aliases alias_present=no
    aliases="$(lxc image alias list "$IMAGE_ALIAS" --project "$PROJECT" --format csv)"
    if [[ $'\n'"$aliases" == *$'\n'"$IMAGE_ALIAS,"* ]]; then
        alias_present=yes
    fi

    # A rebuild moves the alias only after the new image is in LXD, so a failed build leaves the old one usable.
    local previous_fingerprint=""
    if [[ "$alias_present" == yes && "${LABSITE_REBUILD_IMAGE:-}" == 1 ]]; then
        previous_fingerprint="$(lxc image info "$IMAGE_ALIAS" --project "$PROJECT" | sed -n 's/^Fingerprint: //p')"
    fi

    local started=$SECONDS
    find_debian_mirrors
    install -d -m 755 "$CACHE_DIR"
    local digest tarball how
    digest="$(image_recipe_digest)"
    # The alias is current when it was made from this recipe; a changed recipe rebuilds it.
    local stamp="$CACHE_DIR/imported-$PROJECT.digest"
    # An alias without a stamp comes from an older version of this script: it is replaced too.
    if [[ "$alias_present" == yes && "${LABSITE_REBUILD_IMAGE:-}" != 1 ]]; then
        if [[ "$(cat "$stamp" 2>/dev/null)" == "$digest" ]]; then
            say "image $IMAGE_ALIAS: already present in project $PROJECT"
            return
        fi
        say "image $IMAGE_ALIAS: its recipe changed, replacing it"
        previous_fingerprint="$(lxc image info "$IMAGE_ALIAS" --project "$PROJECT" | sed -n 's/^Fingerprint: //p')"
    fi
    tarball="$CACHE_DIR/labsite-debian-12-$digest.tar.gz"

    if [[ -s "$tarball" && "${LABSITE_REBUILD_IMAGE:-}" != 1 ]]; then
        how="found the cached $tarball"
    else
        build_log="$CACHE_DIR/image-build.log"
        say "image $IMAGE_ALIAS: building from $debian_mirror (this takes minutes, log: $build_log)"
        # On failure the ERR trap prints the end of the log and the EXIT trap removes the build directory.
        build_image_tarball "$tarball" >"$build_log" 2>&1
        build_log=""
        find "$CACHE_DIR" -maxdepth 1 -name 'labsite-debian-12-*.tar.gz' ! -name "${tarball##*/}" -delete
        how="built in $((SECONDS - started)) s"
    fi

    local fingerprint
    fingerprint="$(sha256sum "$tarball" | cut -d' ' -f1)"
    if ! lxc image show "$fingerprint" --project "$PROJECT" >/dev/null 2>&1; then
        lxc image import "$tarball" --project "$PROJECT" --quiet >/dev/null
    fi
    if [[ "$alias_present" == yes ]]; then
        lxc image alias delete "$IMAGE_ALIAS" --project "$PROJECT"
    fi
    lxc image alias create "$IMAGE_ALIAS" "$fingerprint" --project "$PROJECT"
    # Containers created from the replaced image keep working after it is deleted.
    if [[ -n "$previous_fingerprint" && "$previous_fingerprint" != "$fingerprint" ]]; then
        lxc image delete "$previous_fingerprint" --project "$PROJECT"
    fi
    echo "$digest" >"$stamp"
    say "image $IMAGE_ALIAS: $how, imported into project $PROJECT in $((SECONDS - started)) s total"
}

# --- settings file --------------------------------------------------------------

write_env_file() {
    current_step="settings file"
    local target="$STATE_DIR/lxd.env" content
    content="$(
        cat <<EOF
LXD_ENDPOINT=$ENDPOINT
LXD_CERT_PATH=$STATE_DIR/lxd/client.crt
LXD_KEY_PATH=$STATE_DIR/lxd/client.key
LXD_SERVER_CERT_PATH=$STATE_DIR/lxd/server.crt
LXD_PROJECT=$PROJECT
LXD_PROFILE=$PROFILE
LXD_IMAGE=$IMAGE_ALIAS
LXD_NETWORK=$NETWORK
SSH_KEY_PATH=$STATE_DIR/ssh/id_ed25519
EOF
    )"

    if [[ -f "$target" && "$(cat "$target")" == "$content" ]]; then
        say "settings file: already up to date ($target)"
        return
    fi
    printf '%s\n' "$content" >"$target.tmp"
    chmod 644 "$target.tmp"
    mv "$target.tmp" "$target"
    say "settings file: written ($target)"
}

# Give the state files to the user who ran the script through sudo, so the platform can read them.
hand_over_state_dir() {
    current_step="state directory owner"
    if [[ -n "${SUDO_UID:-}" && "${SUDO_UID}" != 0 ]]; then
        chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$STATE_DIR/lxd" "$STATE_DIR/ssh" "$STATE_DIR/lxd.env"
        chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$STATE_DIR"
    fi
}

prepare_state_dir() {
    current_step="state directory"
    # The settings file is read unquoted by shells and dotenv parsers, so paths must not need quoting.
    if [[ ! "$STATE_DIR" =~ ^/[A-Za-z0-9_./@+-]*$ ]]; then
        fail "LABSITE_STATE_DIR must be an absolute path of letters, digits and _ . / @ + - only, got \"$STATE_DIR\""
    fi
    install -d -m 755 "$STATE_DIR"
    STATE_DIR="$(readlink -f "$STATE_DIR")"
}

main() {
    local started=$SECONDS
    if [[ "$STATE_DIR" != /* ]]; then
        STATE_DIR="$PWD/$STATE_DIR"
    fi

    prepare_state_dir
    install_packages
    start_daemon
    create_storage_pool
    create_network
    apply_host_firewall
    create_project
    create_profile
    enable_https_api
    create_client_certificate
    trust_client_certificate
    save_server_certificate
    check_https_access
    create_ssh_key
    import_image
    write_env_file
    hand_over_state_dir
    say "done in $((SECONDS - started)) s; settings in $STATE_DIR/lxd.env"
}

main "$@"
