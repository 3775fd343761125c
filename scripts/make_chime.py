"""Write static/sounds/chime.wav: the board's two-tone "ding-dong" before each spoken call.

A soft bell-like tone (a sine with two quiet overtones and an exponential decay), E5 then C5,
about 1.2 s, 16 kHz mono 16-bit: small, and playable by every browser with nothing fetched.

    python scripts/make_chime.py
"""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 16000
OUT = Path(__file__).resolve().parent.parent / "static" / "sounds" / "chime.wav"


def bell(freq: float, seconds: float, volume: float) -> list[float]:
    samples = []
    for i in range(int(RATE * seconds)):
        t = i / RATE
        attack = min(1.0, t / 0.008)          # no click at the start
        decay = math.exp(-3.2 * t)
        tone = (math.sin(2 * math.pi * freq * t)
                + 0.35 * math.sin(2 * math.pi * 2 * freq * t) * math.exp(-4 * t)
                + 0.12 * math.sin(2 * math.pi * 3 * freq * t) * math.exp(-6 * t))
        samples.append(volume * attack * decay * tone / 1.47)
    return samples


def main() -> None:
    first = bell(659.25, 1.2, 0.8)   # E5
    second = bell(523.25, 0.85, 0.8)  # C5, starting while the first still rings
    offset = int(RATE * 0.35)
    mixed = first[:]
    for i, value in enumerate(second):
        mixed[offset + i] += value
    fade = int(RATE * 0.05)
    for i in range(fade):
        mixed[-1 - i] *= i / fade
    peak = max(abs(v) for v in mixed)
    scale = 0.85 / peak if peak > 0.85 else 1.0
    frames = b"".join(struct.pack("<h", int(max(-1.0, min(1.0, v * scale)) * 32767)) for v in mixed)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(OUT), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(mixed) / RATE:.2f} s)")


if __name__ == "__main__":
    main()
