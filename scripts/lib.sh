# Shell functions shared by run.sh and test.sh; source it from the project root.

# Export the LXD endpoint, certificates, project, image and SSH key that
# setup-lxd.sh wrote to var/lxd.env. A variable already set in the
# environment keeps its value.
load_lxd_settings() {
    local name value
    while IFS='=' read -r name value; do
        [ -n "$name" ] || continue
        if [ -z "${!name:-}" ]; then
            export "$name=$value"
        fi
    done < var/lxd.env
}

# Export CONTAINER_NAME_PREFIX unless it is set: a prefix of this checkout's
# own, kept in var/, so that the upkeep of one checkout never takes another
# checkout's containers on the same LXD for orphans and deletes them.
use_checkout_name_prefix() {
    if [ -n "${CONTAINER_NAME_PREFIX:-}" ]; then
        return
    fi
    if [ ! -s var/container-name-prefix ]; then
        printf 'ls%s-\n' "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')" > var/container-name-prefix
    fi
    CONTAINER_NAME_PREFIX=$(cat var/container-name-prefix)
    export CONTAINER_NAME_PREFIX
}
