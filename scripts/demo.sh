#!/usr/bin/env bash
# The main job. Until the keyvalue example apps exist (issue 5), it installs and builds every
# package, then shows the codec at work on a frame captured from tchannel-node.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
pnpm turbo run build --output-logs=errors-only
cd packages/frame && node --input-type=module -e '
import { decodeFrame, encodeFrame } from "@tchannel/frame";
const hex = "0077030000000002000000000000000000000003e70c440edab706e28e00000000000000000c440edab706e28e00076a736f6e7376630302636e0b6a736f6e2d636c69656e74026173046a736f6e02726501630376174a84000361646400097b226b223a2276227d000d7b2261223a312c2262223a327d";
const frame = decodeFrame(Buffer.from(hex, "hex"));
console.log("decoded a json call req captured from tchannel-node:");
console.log({ service: frame.service, headers: { ...frame.headers }, ttl: frame.ttl, args: frame.args.map(String) });
console.log("re-encodes byte for byte:", encodeFrame(frame).toString("hex") === hex);
' 2>&1
