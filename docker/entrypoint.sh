#!/bin/sh
# Container entrypoint: creates the node home on first start (on the volume, never in the image),
# then runs `milagro "$@"`. Settings come from MILAGRO_* environment variables (see README).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
milagro() { node "$here/../bin/milagro.js" "$@"; }
home=${MILAGRO_HOME:?MILAGRO_HOME must be set}
if [ ! -f "$home/config.json" ]; then
  echo "entrypoint: no node in $home; creating one (name ${MILAGRO_NAME:-$(hostname)})" >&2
  milagro init --yes --home "$home" --name "${MILAGRO_NAME:-$(hostname)}" >&2
fi
exec node "$here/../bin/milagro.js" "$@"
