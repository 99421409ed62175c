// Upload payloads for conformance.mjs, made here and of realistic size: a 10-second WAV, a
// 512x512 PNG, a JSONL training file and raw bytes. Deterministic (seeded), no fixtures.
import zlib from "node:zlib";

/** A deterministic byte source (xorshift32). */
function noise(length, seed = 0x9e3779b9) {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** 10 s of a 440 Hz tone, 16 kHz mono 16-bit PCM: about 320 KB. */
function wav() {
  const rate = 16_000;
  const samples = rate * 10;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 512x512 RGBA PNG of noise (it barely compresses): about 1 MB. */
function png(size = 512) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const pixels = noise(size * 4 * size);
  const rows = [];
  for (let y = 0; y < size; y++) rows.push(Buffer.from([0]), pixels.subarray(y * size * 4, (y + 1) * size * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** About 256 KB of chat-format JSONL (valid for fine-tuning, batch-like and plain uses). */
function jsonl() {
  const lines = [];
  for (let i = 0; lines.join("\n").length < 256 * 1024; i++) {
    lines.push(
      JSON.stringify({
        messages: [
          { role: "system", content: "You answer questions about the openai-mock conformance run." },
          { role: "user", content: `Question number ${i}: what is ${i} plus ${i}?` },
          { role: "assistant", content: `${i} plus ${i} is ${2 * i}.` },
        ],
      }),
    );
  }
  return Buffer.from(lines.join("\n") + "\n");
}

/** The payloads, built once, and a chooser from (path template, field name) to a File. */
export async function makeFiles() {
  const audio = wav();
  const image = png();
  const text = jsonl();
  const raw = noise(1 << 20, 7);
  const make = (bytes, name, type) => new File([bytes], name, { type });
  return {
    sizes: { audio: audio.length, image: image.length, text: text.length, raw: raw.length },
    document: () => make(text, "conformance.jsonl", "application/jsonl"),
    bytes: (length) => noise(length, 11),
    forField(template, field) {
      if (template.startsWith("/audio/")) return make(audio, "conformance.wav", "audio/wav");
      if (template.startsWith("/images/") || template.startsWith("/videos") || /image|mask|reference/.test(field)) {
        return make(image, "conformance.png", "image/png");
      }
      if (template.startsWith("/uploads/")) return make(raw, "part.bin", "application/octet-stream");
      return make(text, "conformance.jsonl", "application/jsonl");
    },
  };
}
