#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_image (tests/fuzz/corpus/image): small real PNG and JPEG files and
truncated / mutated variants, plus headers of formats xvis refuses. Needs python3 and, for the JPEGs,
cjpeg / jpegtran (Debian libjpeg-turbo-progs). Not run by the build: the output is committed.

    python3 tests/fuzz/make_image_corpus.py tests/fuzz/corpus/image
"""
import os
import random
import struct
import subprocess
import sys
import tempfile
import zlib


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(w, h, color, depth, rows, interlace=0, extra=b""):
    """rows: the filtered scanline bytes (each row starts with its filter byte), already Adam7-split if interlaced."""
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def pattern(w, h, samples, depth, rnd):
    """Filtered rows of a gradient plus noise, each row with a different filter type (0..4)."""
    out = bytearray()
    bpp = samples * depth // 8 if depth >= 8 else 1
    rowbytes = (w * samples * depth + 7) // 8
    for y in range(h):
        out.append(y % 5)
        out += bytes(((x * 7 + y * 13) ^ rnd.randrange(4)) & 0xFF for x in range(rowbytes))
    del bpp
    return bytes(out)


def adam7_rows(w, h, samples, depth, rnd):
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    out = b""
    for x0, y0, dx, dy in passes:
        pw = (w - x0 + dx - 1) // dx if w > x0 else 0
        ph = (h - y0 + dy - 1) // dy if h > y0 else 0
        if pw and ph:
            out += pattern(pw, ph, samples, depth, rnd)
    return out


def ppm(w, h, gray):
    head = ("P5" if gray else "P6") + " %d %d 255\n" % (w, h)
    px = bytearray()
    for y in range(h):
        for x in range(w):
            px += bytes([(x * 9 + y * 4) & 0xFF]) if gray else bytes([(x * 9) & 0xFF, (y * 11) & 0xFF, ((x + y) * 5) & 0xFF])
    return head.encode() + bytes(px)


def run(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


def main(out):
    rnd = random.Random(11)
    os.makedirs(out, exist_ok=True)
    files = {}
    files["gray8.png"] = png(9, 7, 0, 8, pattern(9, 7, 1, 8, rnd))
    files["gray1.png"] = png(13, 5, 0, 1, pattern(13, 5, 1, 1, rnd))
    files["gray_alpha8.png"] = png(6, 6, 4, 8, pattern(6, 6, 2, 8, rnd))
    files["rgb8.png"] = png(8, 5, 2, 8, pattern(8, 5, 3, 8, rnd))
    files["rgba8.png"] = png(5, 8, 6, 8, pattern(5, 8, 4, 8, rnd))
    files["rgb16.png"] = png(4, 3, 2, 16, pattern(4, 3, 3, 16, rnd))
    files["gray16.png"] = png(5, 5, 0, 16, pattern(5, 5, 1, 16, rnd))
    files["rgba16.png"] = png(3, 4, 6, 16, pattern(3, 4, 4, 16, rnd))
    plte = chunk(b"PLTE", bytes(range(48))) + chunk(b"tRNS", bytes([255, 128, 0]))
    files["palette4_trns.png"] = png(7, 6, 3, 4, pattern(7, 6, 1, 4, rnd), extra=plte)
    files["interlaced_rgb8.png"] = png(11, 9, 2, 8, adam7_rows(11, 9, 3, 8, rnd), interlace=1)
    files["interlaced_gray16.png"] = png(10, 3, 0, 16, adam7_rows(10, 3, 1, 16, rnd), interlace=1)
    files["one_pixel.png"] = png(1, 1, 0, 8, b"\0\x80")
    # Header vs data: a 1x1 image whose IDAT inflates to 64 KiB (the decoder must not follow it far).
    files["inflates_past_header.png"] = png(1, 1, 0, 8, bytes(65536))
    # A decompression bomb: 1x1 header, 16 MiB of zeros in 16 KiB (read_image must refuse it, tests/image/png.cpp).
    files["bomb_1x1_16MiB.png"] = png(1, 1, 0, 8, bytes(16 << 20))
    files["huge_header.png"] = png(65536, 65536, 2, 8, b"\0" * 10)

    rgb, gray = ppm(16, 12, False), ppm(9, 17, True)
    files["baseline420.jpg"] = run(["cjpeg", "-quality", "75"], rgb)
    files["baseline444_restart.jpg"] = run(["cjpeg", "-quality", "90", "-sample", "1x1", "-restart", "1"], rgb)
    files["gray.jpg"] = run(["cjpeg", "-quality", "80", "-grayscale"], gray)
    files["progressive.jpg"] = run(["cjpeg", "-quality", "70", "-progressive"], rgb)
    files["progressive_gray.jpg"] = run(["cjpeg", "-progressive", "-grayscale"], gray)
    files["optimized.jpg"] = run(["jpegtran", "-optimize"], files["baseline420.jpg"])

    # Truncated and mutated variants of a few of them.
    for name in ["rgb8.png", "interlaced_rgb8.png", "rgb16.png", "baseline420.jpg", "progressive.jpg"]:
        data = files[name]
        stem, ext = name.rsplit(".", 1)
        files["%s_half.%s" % (stem, ext)] = data[: len(data) // 2]
        files["%s_header_only.%s" % (stem, ext)] = data[:33] if ext == "png" else data[:200]
        for k in range(2):
            m = bytearray(data)
            for _ in range(4):
                m[rnd.randrange(8, len(m))] = rnd.randrange(256)
            files["%s_mut%d.%s" % (stem, k, ext)] = bytes(m)

    # Formats xvis refuses (recognized by their magic) and bytes that are no image.
    files["refused.bmp"] = b"BM" + struct.pack("<IHHI", 70, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, 16, 0, 0, 0, 0) + bytes(16)
    files["refused.gif"] = b"GIF89a\x02\x00\x02\x00\x80\x00\x00" + bytes(6) + b",\x00\x00\x00\x00\x02\x00\x02\x00\x00\x02\x02D\x01\x00;"
    files["refused.pgm"] = b"P5 2 2 255\n\x00\x40\x80\xff"
    files["refused.webp"] = b"RIFF\x1a\x00\x00\x00WEBPVP8L" + bytes(14)
    files["refused.tif"] = b"II*\x00\x08\x00\x00\x00" + bytes(8)
    files["text.txt"] = b"golden retriever\n"
    files["empty"] = b""
    files["jpeg_soi_only.jpg"] = b"\xff\xd8\xff"
    files["png_signature_only.png"] = b"\x89PNG\r\n\x1a\n"

    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d files, %d bytes" % (len(files), sum(len(d) for d in files.values())))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "image"))
