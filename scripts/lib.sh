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
