#!/usr/bin/env bash
# Install the Debian packages the tests need when they are missing and apt-get can be used
# (as root, or through passwordless sudo). Under CI=true a package that stays missing is an error.
set -u
missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo -n); else sudo=(none); fi
if [ "${sudo[0]:-}" != none ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages the tests need)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
     { "${sudo[@]}" apt-get update -q >/dev/null 2>&1 &&
       "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; then
    exit 0
  fi
fi
if [ "${CI:-}" = "true" ]; then
  echo "error: the tests need the Debian package(s) ${missing[*]}, and they could not be installed" >&2
  exit 1
fi
echo "note: ${missing[*]} missing (apt-get install ${missing[*]}); the tests that need them are skipped" >&2
