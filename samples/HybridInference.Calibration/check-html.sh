#!/usr/bin/env bash
# Renders a calibration report page in headless Chromium (Debian's chromium package) and checks the result:
# Chromium must exit cleanly, log no page error, and write a PNG that is not blank (the charts drew).
# Usage: check-html.sh REPORT.html [OUT.png]
set -euo pipefail
html=$(realpath "$1")
png=${2:-"${html%.html}.png"}

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "check-html: chromium is not installed; installing Debian's chromium package" >&2
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } > /dev/null 2>&1; then
    echo "check-html: FAILED: could not install chromium (apt-get install chromium)" >&2
    exit 1
  fi
  browser=$(command -v chromium)
fi

log=$(mktemp)
profile=$(mktemp -d)
trap 'rm -rf "$log" "$profile"' EXIT
rm -f "$png"
if ! timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 --window-size=1024,1600 --screenshot="$png" "file://$html" > "$log" 2>&1; then
  cat "$log" >&2
  echo "check-html: FAILED: chromium exited with an error" >&2
  exit 1
fi

# A page error (a script error or a resource that failed to load) shows in Chromium's console log.
if grep -E 'Uncaught|Failed to load resource|net::ERR_' "$log" >&2; then
  echo "check-html: FAILED: the page logged errors" >&2
  exit 1
fi

python3 - "$png" <<'PY'
import struct, sys, zlib
path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"check-html: FAILED: {path} is not a PNG")
pos, width, height, idat = 8, 0, 0, b""
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        channels = {2: 3, 6: 4}.get(colour)
        if depth != 8 or channels is None:
            sys.exit(f"check-html: FAILED: unexpected PNG format (depth {depth}, colour type {colour})")
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * channels
colours, previous, offset = set(), bytearray(stride), 0
for _ in range(height):
    kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
    offset += 1 + stride
    for i in range(stride):
        left = line[i - channels] if i >= channels else 0
        up, up_left = previous[i], previous[i - channels] if i >= channels else 0
        if kind == 1: line[i] = (line[i] + left) & 255
        elif kind == 2: line[i] = (line[i] + up) & 255
        elif kind == 3: line[i] = (line[i] + (left + up) // 2) & 255
        elif kind == 4:
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
    colours.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 7))
    previous = line
# Text alone gives greys; the charts add the lane colours (local #2e7d32, cloud #1565c0), which must be there.
if len(colours) < 20:
    sys.exit(f"check-html: FAILED: the screenshot has only {len(colours)} colours; the page looks blank")
for name, rgb in (("local", bytes((0x2e, 0x7d, 0x32))), ("cloud", bytes((0x15, 0x65, 0xc0)))):
    if rgb not in colours:
        sys.exit(f"check-html: FAILED: no {name} bars in the screenshot; the charts did not render")
print(f"check-html: OK: {path} ({width}x{height}, {len(colours)} colours sampled)")
PY
