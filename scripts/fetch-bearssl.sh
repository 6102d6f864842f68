#!/usr/bin/env bash
# Fetches BearSSL's source package from the Debian or Ubuntu archive and
# unpacks it, Debian patches applied, to DIR/source (src/, inc/) for the
# kernel build. apt-get runs with a source list, package lists and cache
# kept under DIR: the system's apt configuration is left alone and root
# is not needed. Does nothing when DIR/source is already there.
# usage: scripts/fetch-bearssl.sh DIR
set -euo pipefail
dir=${1:?usage: fetch-bearssl.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
src=$dir/source
log=$dir/fetch.log

if [ -f "$src/src/inner.h" ] && [ -f "$src/inc/bearssl_hmac.h" ]; then
    exit 0
fi

die() {
    echo "fetch-bearssl: $*" >&2
    echo "fetch-bearssl: alternatively configure with -DBEARSSL_SOURCE_DIR=/path/to/bearssl" \
         "(a BearSSL tree with src/ and inc/)" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script needs a Debian or Ubuntu host"

# One field of /etc/os-release, unquoted; empty when absent.
os_field() {
    [ -r /etc/os-release ] || return 0
    sed -n "s/^$1=//p" /etc/os-release | tr -d "\"'" | head -n1
}

# The distribution decides the archive, its key and where bearssl lives
# (Debian: main; Ubuntu: universe).
if [ "$(os_field ID)" = ubuntu ] || [[ " $(os_field ID_LIKE) " == *" ubuntu "* ]]; then
    suite=$(os_field UBUNTU_CODENAME)
    suite=${suite:-$(os_field VERSION_CODENAME)}
    [ -n "$suite" ] || die "cannot tell the Ubuntu release from /etc/os-release"
    default_uri=http://archive.ubuntu.com/ubuntu
    keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg
    components="main universe"
    system_lists="/etc/apt/sources.list.d/ubuntu.sources /etc/apt/sources.list"
else
    suite=$(os_field VERSION_CODENAME)
    suite=${suite:-bookworm}
    default_uri=http://deb.debian.org/debian
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    components=main
    system_lists="/etc/apt/sources.list.d/debian.sources /etc/apt/sources.list"
fi

# The http(s) archive URI the system's own source list uses for $suite,
# read from the distribution's list files only (not third-party ones).
system_uri() {
    local f
    for f in $system_lists; do
        [ -r "$f" ] || continue
        case $f in
        *.sources)
            awk -v suite="$suite" 'BEGIN { RS = "" }
                {
                    uris = ""; suites = ""; enabled = "yes"
                    n = split($0, lines, "\n")
                    for (i = 1; i <= n; i++) {
                        if (lines[i] ~ /^#/ || index(lines[i], ":") == 0)
                            continue
                        key = tolower(substr(lines[i], 1, index(lines[i], ":") - 1))
                        val = substr(lines[i], index(lines[i], ":") + 1)
                        if (key == "uris") uris = val
                        else if (key == "suites") suites = val
                        else if (key == "enabled") enabled = tolower(val)
                    }
                    split(uris, u, " ")
                    if (enabled !~ /no/ && (" " suites " ") ~ (" " suite " ")) { print u[1]; exit }
                }' "$f"
            ;;
        *)
            sed -E 's/\[[^]]*\]//' "$f" |
                awk -v suite="$suite" '$1 ~ /^deb(-src)?$/ && $3 == suite { print $2; exit }'
            ;;
        esac
    done | grep -E '^https?://[^[:space:]]+$' | head -n1 || true
}

mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/apt/etc" "$dir/download"
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/apt/etc"
          -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache"
          -o Debug::NoLocking=1 -o Acquire::Languages=none -o Acquire::Retries=3)
# apt drops root to _apt for downloads, which cannot write into a build
# tree; as root, download as root instead of warning about it.
if [ "$(id -u)" -eq 0 ]; then
    apt_opts+=(-o APT::Sandbox::User=root)
fi
signed_by=""
if [ -r "$keyring" ]; then
    signed_by="Signed-By: $keyring"
fi

# Tries the system's mirror first, then the distribution's main archive.
uris=$(printf '%s\n' "$(system_uri)" "$default_uri" | awk 'NF && !seen[$0]++')
: >"$log"
fetched=""
for uri in $uris; do
    echo "fetch-bearssl: bearssl source from $uri $suite ($components)"
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n%s\n' \
        "$uri" "$suite" "$components" "$signed_by" >"$dir/apt/etc/fetch-bearssl.sources"
    rm -f "$dir"/download/bearssl_*
    if apt-get "${apt_opts[@]}" update >>"$log" 2>&1 &&
        (cd "$dir/download" && apt-get "${apt_opts[@]}" source --download-only bearssl) >>"$log" 2>&1; then
        fetched=$uri
        break
    fi
done
if [ -z "$fetched" ]; then
    tail -n 15 "$log" | sed 's/^/    | /' >&2
    die "apt-get could not download the bearssl source package (full log: $log)"
fi

shopt -s nullglob
origs=("$dir"/download/bearssl_*.orig.tar.*)
debians=("$dir"/download/bearssl_*.debian.tar.*)
[ ${#origs[@]} -eq 1 ] || die "expected one bearssl_*.orig.tar.* in $dir/download, found ${#origs[@]}"
orig=${origs[0]}
debian=${debians[0]:-}

# Unpack beside the final place and move it there in one step, so an
# interrupted run never leaves a tree that looks complete.
tmp=$(mktemp -d "$dir/unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xf "$orig" -C "$tmp" || die "cannot unpack $orig (is xz-utils installed?)"
tree=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
[ -n "$tree" ] || die "$orig holds no source directory"
if [ -n "$debian" ]; then
    tar -xf "$debian" -C "$tree" || die "cannot unpack $debian"
    if [ -f "$tree/debian/patches/series" ]; then
        command -v patch >/dev/null 2>&1 || die "the Debian patches need patch(1), which is not installed"
        while read -r p _; do
            case $p in '' | '#'*) continue ;; esac
            patch -d "$tree" -p1 --batch --quiet <"$tree/debian/patches/$p" ||
                die "Debian patch $p does not apply"
        done <"$tree/debian/patches/series"
    fi
fi
[ -f "$tree/src/inner.h" ] && [ -f "$tree/inc/bearssl_hmac.h" ] ||
    die "$orig does not look like BearSSL (no src/inner.h or inc/bearssl_hmac.h)"
rm -rf "$src"
mv "$tree" "$src"
echo "fetch-bearssl: $(basename "$orig") unpacked in $src"
