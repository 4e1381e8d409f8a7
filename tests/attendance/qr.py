"""Read back the QR codes the pages draw (segno's SVG), as a camera at the kiosk would."""

import re

import cv2
import numpy as np


def decode_qr(svg: str) -> str:
    """Rasterise segno's SVG path and decode it with OpenCV's reader. segno draws each dark
    run as a horizontal line: "M x y" / "m dx dy" move, "h n" draws. The size comes from
    the fixed width, or from the viewBox of a fluid code (scale 5)."""
    scale = 5
    path = re.search(r' d="([^"]+)"', svg)[1]
    sized = re.search(r'width="(\d+)"', svg) or re.search(r'viewBox="0 0 (\d+) \d+"', svg)
    size = int(sized[1]) // scale
    image = np.full((size * 10, size * 10), 255, np.uint8)
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            row = int(y - 0.5)
            image[row * 10 : row * 10 + 10, int(x) * 10 : int(x + float(a)) * 10] = 0
            x += float(a)
    decoded, _points, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return decoded
