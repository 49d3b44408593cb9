#!/usr/bin/env bash
# Makes TLS material for local development and tests with the openssl command: a local CA
# (made once per output directory, then reused) and a server certificate for the given
# names, signed by it. Never use these in production.
#
#   bash certs/make-dev-certs.sh [--out DIR] [--days N] [NAME ...]
#
#   NAME       DNS names (wildcards like *.example.test allowed) or IP addresses the
#              certificate is for (default: localhost 127.0.0.1 ::1). The files are named
#              after the first one (a leading "*." becomes "wildcard.").
#   --out DIR  where to write (default: the certs/ directory this script is in)
#   --days N   validity of the server certificate (default: 365)
#
# Writes DIR/NAME.crt and DIR/NAME.key (the pair `sluice serve --certs DIR` loads, or
# --cert/--key) and, once, DIR/ca/ca.crt and DIR/ca/ca.key (the CA; give ca.crt to
# clients: curl --cacert DIR/ca/ca.crt). Keys are ECDSA P-256, readable only by their owner.
set -euo pipefail

out=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
days=365
names=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --out) out=${2:?--out needs a directory}; shift ;;
        --days) days=${2:?--days needs a number}; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
        *) names+=("$1") ;;
    esac
    shift
done
[[ ${#names[@]} -gt 0 ]] || names=(localhost 127.0.0.1 ::1)
command -v openssl >/dev/null || { echo "openssl not found (apt-get install openssl)" >&2; exit 1; }

umask 077
mkdir -p "$out/ca"
ca_crt=$out/ca/ca.crt
ca_key=$out/ca/ca.key
if [[ ! -f $ca_crt || ! -f $ca_key ]]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$ca_key"
    openssl req -x509 -new -key "$ca_key" -sha256 -days 3650 -subj "/CN=Sluice development CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$ca_crt"
    chmod 644 "$ca_crt"
    echo "made the CA: $ca_crt"
fi

sans=()
for n in "${names[@]}"; do
    if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then sans+=("IP:$n"); else sans+=("DNS:$n"); fi
done
file=${names[0]/#\*./wildcard.}
file=${file//:/_}
key=$out/$file.key
crt=$out/$file.crt
csr=$(mktemp)
ext=$(mktemp)
trap 'rm -f "$csr" "$ext"' EXIT
cat > "$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$(IFS=,; echo "${sans[*]}")
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EXT
openssl ecparam -name prime256v1 -genkey -noout -out "$key"
openssl req -new -key "$key" -subj "/CN=${names[0]}" -out "$csr"
openssl x509 -req -in "$csr" -CA "$ca_crt" -CAkey "$ca_key" -CAcreateserial -CAserial "$out/ca/ca.srl" \
    -days "$days" -sha256 -extfile "$ext" -out "$crt" 2>/dev/null
chmod 644 "$crt"
echo "made $crt and $key for: ${names[*]}"
