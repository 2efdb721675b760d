#!/usr/bin/env bash
# Runs every test suite of the workspace. On a fresh Debian 12 machine it first installs what the
# interop tests need (Erlang/OTP 25 and Elixir 1.14 from Debian, iproute2 for network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v erl >/dev/null 2>&1 || need+=(erlang-nox)
[ -d /usr/lib/erlang/usr/include ] || need+=(erlang-dev)
command -v elixir >/dev/null 2>&1 || need+=(elixir)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${need[@]}"
fi

cargo test --workspace --release --no-fail-fast
