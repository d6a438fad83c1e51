#!/usr/bin/env bash
# Builds the rookery program (daemon and admin command) as one native executable (Native AOT) for installing:
#   packaging/publish.sh [OUT_DIR]        (default: .build/native; the program is OUT_DIR/rookery)
# Against the JIT build that ./rookery and the tests use (dotnet rookery.dll): about half the memory per daemon and
# a start in tens of milliseconds instead of a second or more (docs/benchmarks.md, "Idle and start-up").
# Needs the .NET SDK and a C toolchain to link (clang, or gcc: apt-get install gcc); NuGet brings the AOT compiler.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$here/.build/native}"
case "$(uname -m)" in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    *) echo "publish.sh: no native build for $(uname -m); use the JIT build (./rookery)" >&2; exit 1 ;;
esac
if command -v clang >/dev/null 2>&1; then
    linker=clang
elif command -v gcc >/dev/null 2>&1; then
    linker=gcc
else
    echo "publish.sh: a C toolchain is needed to link the native program: apt-get install gcc (or clang)" >&2
    exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! dotnet publish "$here/src/Rookery.Cli/Rookery.Cli.csproj" -c Release -r "$rid" -p:PublishAot=true \
        -p:CppCompilerAndLinker="$linker" -o "$out" -nologo -clp:ErrorsOnly >"$log" 2>&1; then
    cat "$log" >&2
    echo "publish.sh: native build failed" >&2
    exit 1
fi
rm -f "$out"/*.pdb "$out"/*.xml "$out"/*.dbg
echo "$out/rookery"
