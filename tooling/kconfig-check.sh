#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fail if an option of the config fragment did not make it into .config.
set -euo pipefail
frag=$1 config=$2
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n)
		opt=${line%%=*}
		if grep -q "^$opt=" "$config"; then
			echo "config: $opt is set, fragment wants it off" >&2
			bad=1
		fi ;;
	CONFIG_*)
		if ! grep -qx "$line" "$config"; then
			echo "config: $line missing (dependency not met?)" >&2
			bad=1
		fi ;;
	esac
done < "$frag"
exit $bad
