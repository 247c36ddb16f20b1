#!/bin/bash
# Validates docs/libvirt-domain.xml against libvirt's own domain schema with virt-xml-validate, installing
# Debian's libvirt-clients (virt-xml-validate, and through libvirt0 the schemas) and libxml2-utils (xmllint) first
# if they are missing. Used by LibvirtDomainXmlTests; prints virt-xml-validate's verdict.
# Usage: docs/check-libvirt-xml.sh [FILE]   (default: docs/libvirt-domain.xml)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../guest/lib.sh
source "$here/../guest/lib.sh"
# Other tests may be installing packages at the same time: wait for dpkg's lock rather than fail. APT_CONFIG
# replaces only /etc/apt/apt.conf (apt.conf.d is still read); a system file, if any, is carried over.
apt_config=$(mktemp)
trap 'rm -f "$apt_config"' EXIT
[[ -r /etc/apt/apt.conf ]] && cat /etc/apt/apt.conf >"$apt_config"
echo 'DPkg::Lock::Timeout "300";' >>"$apt_config"
APT_CONFIG=$apt_config need_packages libvirt-clients libxml2-utils
virt-xml-validate "${1:-$here/libvirt-domain.xml}" domain
