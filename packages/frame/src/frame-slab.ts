// Encoded frames live only until the socket has taken them. Above 4 KiB Node's own buffer pool
// gives each its own ArrayBuffer (0.85 µs to allocate 4 KiB, and one more external buffer for the
// GC to track); carving them from a shared slab costs ~0.1 µs (measured for issue 7). A slab stays
// alive while any frame cut from it does, which for frames on their way out is briefly.

const SLAB_SIZE = 256 * 1024;
/** Larger frames get their own buffer (a 64 KiB frame would waste a quarter of a slab). */
const MAX_FROM_SLAB = 16 * 1024;

let slab: Buffer | undefined;
let offset = 0;

/** An uninitialised buffer of `size` bytes for an outgoing frame or message. */
export function allocFrameBuffer(size: number): Buffer {
  if (size > MAX_FROM_SLAB) return Buffer.allocUnsafeSlow(size);
  if (slab === undefined || offset + size > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    offset = 0;
  }
  const buf = slab.subarray(offset, offset + size);
  // Unaligned (frames are written byte by byte): consecutive frames lie back to back, so that a
  // connection hands a tick's frames to its socket as one buffer (Connection.write).
  offset += size;
  return buf;
}
