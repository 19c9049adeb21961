#!/bin/sh
# `meson install` into a scratch DESTDIR, then build a consumer program against
# the installed headers, library and pkg-config file only, and run it.
# usage: test_install.sh BUILD_DIR CONSUMER_SOURCE
set -eu
build=$1
src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR="$dest" meson install -C "$build" --quiet --no-rebuild >/dev/null
pc=$(find "$dest" -name chokepoint.pc | head -n 1)
[ -n "$pc" ] || { echo "no chokepoint.pc installed" >&2; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
for h in chokepoint.h error.h rng.h scenario.h sim.h stats.h run.h output.h; do
  [ -f "$dest$prefix/include/chokepoint/$h" ] || { echo "header $h not installed" >&2; exit 1; }
done
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$dest$prefix" \
  --cflags --libs chokepoint)
libdir=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$dest$prefix" \
  --variable=libdir chokepoint)
cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$dest/consumer" "$src" $flags
LD_LIBRARY_PATH="$libdir" "$dest/consumer"
