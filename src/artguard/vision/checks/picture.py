"""Measures of one picture that say whether a camera can see: brightness, contrast, glare,
sharpness. Computed on a small grey copy, so they cost well under a millisecond per frame."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from artguard.vision.detectors.base import Image

GreyImage = np.ndarray
MEASURE_WIDTH = 320
"""Brightness and contrast need no detail; a 320-pixel-wide copy keeps them cheap."""
SHARPNESS_WIDTH = 640
"""Sharpness does need detail: measured at 640 pixels wide."""
SATURATED = 250


def grey(image: Image, width: int) -> GreyImage:
    """``image`` as one grey channel, scaled down to ``width`` pixels wide (never up)."""
    g = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    h, w = g.shape[:2]
    if w > width:
        g = cv2.resize(g, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    return g


@dataclass(frozen=True)
class PictureStats:
    mean: float
    """Mean brightness, 0-255."""
    std: float
    """Contrast: standard deviation of brightness."""
    saturated: float
    """Fraction of pixels at or near full white."""

    @classmethod
    def of(cls, image: Image) -> PictureStats:
        g = grey(image, MEASURE_WIDTH)
        mean, std = cv2.meanStdDev(g)
        return cls(
            mean=float(mean[0][0]),
            std=float(std[0][0]),
            saturated=float(np.count_nonzero(g >= SATURATED)) / g.size,
        )


def sharpness(image: Image) -> float:
    """Variance of the Laplacian over the variance of the picture: high for crisp edges,
    falls when the picture blurs.

    Dividing by the picture's own variance makes it indifferent to the lighting: dimming the
    gallery lights to half scales both by a quarter, where the plain Laplacian variance would
    read as a lens gone three-quarters out of focus.
    """
    g = grey(image, SHARPNESS_WIDTH).astype(np.float32)
    return float(cv2.Laplacian(g, cv2.CV_32F).var()) / max(float(g.var()), 1.0)


@dataclass(frozen=True)
class PictureLimits:
    """When a picture shows nothing useful.

    A hand, tape, a cloth or spray paint on the lens leaves a dark or flat picture (almost no
    contrast); a torch or laser pointer shone into it leaves most pixels white.
    """

    dark_mean: float = 20.0
    flat_std: float = 6.0
    blinded_fraction: float = 0.5
    bright_mean: float = 235.0

    def covered(self, stats: PictureStats) -> bool:
        return stats.mean < self.dark_mean or stats.std < self.flat_std

    def blinded(self, stats: PictureStats) -> bool:
        return stats.saturated >= self.blinded_fraction or stats.mean >= self.bright_mean

    def usable(self, stats: PictureStats) -> bool:
        return not (self.covered(stats) or self.blinded(stats))
