"""Red seals and red ink taken out of a colour scan before OCR.

The round seal over the signature is red; read as it is, its ring of letters
("ỦY BAN NHÂN DÂN HUYỆN …") comes out as words and garbles the signer's title.
In the red channel red ink is nearly as light as the paper, while black text
stays black, even where the seal covers it. So reddish pixels take their grey
level from the red channel, and every other pixel keeps its luminance: the seal
fades into the paper and the text printed under it survives.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# A pixel is reddish when red exceeds both green and blue by this much (0-255)
# and by this share of its red level: pink edges of the seal count, grey does not.
RED_MARGIN = 40
RED_SHARE = 0.22
# The red channel of printed seal ink sits around 200; lift it to paper white.
RED_GAIN = 1.3
# Fewer reddish pixels than this share of the page: no seal, nothing to report.
STAMP_MIN_SHARE = 0.0005


# Rows converted at a time: a 600-dpi page in bands keeps the int32 copies small.
BAND_ROWS = 512


def grey_without_red(image: Image.Image) -> tuple[Image.Image, bool]:
    """(grey image, whether red ink was found) for a colour image."""
    rgb = np.asarray(image.convert("RGB"))
    grey = np.empty(rgb.shape[:2], dtype=np.uint8)
    red_pixels = 0
    for top in range(0, rgb.shape[0], BAND_ROWS):
        band = rgb[top: top + BAND_ROWS].astype(np.int32)
        r, g, b = band[..., 0], band[..., 1], band[..., 2]
        excess = r - np.maximum(g, b)
        reddish = (excess > RED_MARGIN) & (excess > RED_SHARE * r)
        # ITU-R 601 luma, as Pillow's convert("L") computes it.
        luma = (r * 299 + g * 587 + b * 114) // 1000
        lifted = np.minimum(255, r * RED_GAIN)
        grey[top: top + BAND_ROWS] = np.where(reddish, lifted, luma).astype(np.uint8)
        red_pixels += int(reddish.sum())
    found = red_pixels >= STAMP_MIN_SHARE * grey.size
    return Image.fromarray(grey, "L"), found
