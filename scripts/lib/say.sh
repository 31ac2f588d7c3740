# shellcheck shell=bash
# What the scripts print, each line led by the name of the script that sources this (sourced).

SAY_AS=$(basename "${BASH_SOURCE[1]:-$0}")
SAY_SCRIPT=${BASH_SOURCE[1]:-$0}

say() { echo "$SAY_AS: $*"; }
die() {
  echo "$SAY_AS: $*" >&2
  exit 1
}

# usage_from_header: the script's leading comment block, below the #! line, without the "# ".
usage_from_header() {
  sed -n '2,/^[^#]/{/^#/p}' "$SAY_SCRIPT" | sed 's/^# \{0,1\}//'
}
