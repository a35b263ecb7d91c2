"""Procedural "steppe" cover illustrations for the demo articles.

Everything is painted with Pillow from a seed: no files, no fonts, no network. The same seed
always gives the same picture, so a re-seeded demo database looks the same every time.
"""

import io
import random

from PIL import Image, ImageDraw, ImageFilter

# Each palette: sky from top to horizon, the sun (or moon) and its glow, ridge colours from the
# farthest to the nearest, and the steppe in the foreground.
PALETTES = {
    "dawn": {
        "sky": [(58, 72, 128), (196, 128, 150), (250, 196, 150)],
        "sun": (255, 236, 200),
        "glow": (255, 190, 140),
        "ridges": [(150, 118, 150), (112, 86, 124), (78, 60, 96), (50, 40, 68)],
        "ground": [(96, 84, 74), (58, 48, 50)],
        "water": (214, 160, 160),
    },
    "noon": {
        "sky": [(46, 110, 184), (108, 168, 222), (204, 226, 240)],
        "sun": (255, 252, 232),
        "glow": (255, 246, 210),
        "ridges": [(150, 176, 196), (112, 140, 150), (96, 128, 102), (74, 104, 70)],
        "ground": [(176, 164, 92), (118, 120, 62)],
        "water": (118, 170, 214),
    },
    "dusk": {
        "sky": [(36, 30, 78), (150, 62, 98), (246, 142, 82)],
        "sun": (255, 214, 150),
        "glow": (255, 120, 70),
        "ridges": [(132, 64, 96), (94, 44, 80), (60, 30, 62), (34, 20, 42)],
        "ground": [(72, 36, 48), (30, 18, 30)],
        "water": (220, 110, 90),
    },
    "winter": {
        "sky": [(120, 150, 190), (188, 206, 226), (236, 240, 246)],
        "sun": (255, 255, 250),
        "glow": (236, 242, 255),
        "ridges": [(196, 208, 226), (164, 180, 204), (132, 150, 180), (104, 120, 152)],
        "ground": [(238, 242, 248), (206, 216, 232)],
        "water": (160, 184, 212),
    },
    "night": {
        "sky": [(10, 16, 40), (28, 42, 86), (70, 86, 132)],
        "sun": (246, 244, 226),
        "glow": (150, 170, 220),
        "ridges": [(52, 64, 104), (38, 48, 84), (26, 34, 64), (14, 20, 42)],
        "ground": [(24, 30, 52), (10, 14, 28)],
        "water": (70, 90, 140),
    },
}
PALETTE_NAMES = list(PALETTES)

SUPERSAMPLE = 2  # shapes are masked at twice the size and reduced, so their edges come out smooth


def _mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _jitter(colour, rng, amount=10):
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)


def _gradient(stops, length):
    """`length` colours running through `stops` evenly."""
    out = []
    segments = len(stops) - 1
    for i in range(length):
        pos = i / max(1, length - 1) * segments
        k = min(int(pos), segments - 1)
        out.append(_mix(stops[k], stops[k + 1], pos - k))
    return out


def _vertical(stops, width, height):
    """An RGB image of `width` x `height` filled with a top-to-bottom gradient through `stops`."""
    column = Image.new("RGB", (1, max(1, height)))
    column.putdata(_gradient(stops, max(1, height)))
    return column.resize((width, max(1, height)), Image.Resampling.NEAREST)


def _ridge(rng, width, base, amplitude, roughness):
    """A ridge line by midpoint displacement: a list of (x, y) from the left edge to the right."""
    n = 128
    ys = [0.0] * (n + 1)
    ys[0] = rng.uniform(-1, 1) * amplitude
    ys[n] = rng.uniform(-1, 1) * amplitude
    step, scale = n, amplitude
    while step > 1:
        half = step // 2
        for i in range(half, n, step):
            ys[i] = (ys[i - half] + ys[i + half]) / 2 + rng.uniform(-1, 1) * scale
        step = half
        scale *= roughness
    return [(width * i / n, base + y) for i, y in enumerate(ys)]


def _paint(img, shape, fill):
    """Paint an antialiased shape onto `img` (RGB).

    `shape` is ("polygon", points) or ("ellipse", box) or ("line", points, width); `fill` is a
    colour or an image the size of `img`. Only the shape's bounding box is supersampled.
    """
    kind, geometry = shape[0], shape[1]
    if kind == "ellipse":
        xs, ys = geometry[0::2], geometry[1::2]
    else:
        xs, ys = [p[0] for p in geometry], [p[1] for p in geometry]
    pad = shape[2] if kind == "line" else 2
    left = max(0, int(min(xs) - pad))
    top = max(0, int(min(ys) - pad))
    right = min(img.width, int(max(xs) + pad) + 2)
    bottom = min(img.height, int(max(ys) + pad) + 2)
    if right <= left or bottom <= top:
        return
    ss = SUPERSAMPLE
    mask = Image.new("L", ((right - left) * ss, (bottom - top) * ss), 0)
    d = ImageDraw.Draw(mask)
    if kind == "ellipse":
        x0, y0, x1, y1 = geometry
        d.ellipse(((x0 - left) * ss, (y0 - top) * ss, (x1 - left) * ss, (y1 - top) * ss), 255)
    else:
        pts = [((x - left) * ss, (y - top) * ss) for x, y in geometry]
        if kind == "polygon":
            d.polygon(pts, 255)
        else:
            d.line(pts, 255, width=round(shape[2] * ss), joint="curve")
    mask = mask.reduce(ss)
    box = (left, top, right, bottom)
    if isinstance(fill, Image.Image):
        img.paste(fill.crop(box), box, mask)
    else:
        img.paste(fill, box, mask)


def _soft(img, colour, draw_fn, blur):
    """Blend `colour` over `img` through a soft mask: `draw_fn(draw, k)` draws the mask's opacity
    at scale `k` on a small image, which is blurred and scaled up (cheap glows, clouds, mist)."""
    k = 1 / 8
    small = Image.new("L", (max(1, round(img.width * k)), max(1, round(img.height * k))), 0)
    draw_fn(ImageDraw.Draw(small), k)
    small = small.filter(ImageFilter.GaussianBlur(blur * k))
    img.paste(colour, (0, 0), small.resize(img.size, Image.Resampling.BILINEAR))


def make_cover(seed: int, width: int = 1600, height: int = 900) -> bytes:
    """A deterministic abstract steppe landscape for `seed`, as JPEG bytes."""
    rng = random.Random(seed)
    name = PALETTE_NAMES[rng.randrange(len(PALETTE_NAMES))]
    pal = PALETTES[name]
    sky_stops = [_jitter(c, rng, 12) for c in pal["sky"]]
    haze = sky_stops[-1]
    w, h = width, height
    horizon = h * rng.uniform(0.6, 0.7)

    # Sky: a vertical gradient down to the horizon (the ground covers what lies below).
    img = _vertical([*sky_stops, sky_stops[-1]], w, h)
    sky_colours = _gradient(sky_stops, int(horizon) + 1)

    # Stars at night.
    if name == "night":
        stars = ImageDraw.Draw(img)
        for _ in range(rng.randint(90, 160)):
            x, y = rng.uniform(0, w), rng.uniform(0, horizon * 0.75)
            r = rng.choice((0.6, 0.8, 1, 1, 1.4))
            c = _mix(sky_colours[int(y)], (255, 255, 235), rng.uniform(0.4, 1))
            stars.ellipse((x - r, y - r, x + r, y + r), fill=c)

    # Sun or moon with a wide soft glow.
    sun_r = h * rng.uniform(0.04, 0.075)
    sun_x = w * rng.uniform(0.12, 0.88)
    sun_y = horizon * rng.uniform(0.22, 0.62)
    glow_r = sun_r * rng.uniform(4, 6)

    def paint_glow(d, k):
        for i, alpha in ((1.0, 60), (0.6, 80), (0.3, 110)):
            r = glow_r * i * k
            box = (sun_x * k - r, sun_y * k - r, sun_x * k + r, sun_y * k + r)
            d.ellipse(box, fill=alpha)

    _soft(img, pal["glow"], paint_glow, glow_r * 0.6)

    # A few soft clouds.
    if name != "night":
        clouds = [
            (
                rng.uniform(0, w),
                rng.uniform(h * 0.06, horizon * 0.55),
                rng.uniform(w * 0.07, w * 0.18),
                rng.uniform(h * 0.014, h * 0.03),
            )
            for _ in range(rng.randint(2, 6))
        ]
        cloud_colour = _mix(haze, (255, 255, 255), 0.55)

        def paint_clouds(d, k):
            for cx, cy, rx, ry in clouds:
                for j in range(4):
                    dx = (j - 1.5) * rx * 0.45
                    dy = -ry * 0.6 if j in (1, 2) else 0
                    box = ((cx + dx - rx * 0.6) * k, (cy + dy - ry) * k,
                           (cx + dx + rx * 0.6) * k, (cy + dy + ry) * k)  # fmt: skip
                    d.ellipse(box, fill=95)

        _soft(img, cloud_colour, paint_clouds, h * 0.025)

    sun_box = (sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r)
    if name == "night" and rng.random() < 0.8:
        # A crescent: the disc minus an offset disc.
        off = sun_r * rng.uniform(0.35, 0.55)
        moon = Image.new("L", (w, h), 0)
        md = ImageDraw.Draw(moon)
        md.ellipse(sun_box, 255)
        md.ellipse((sun_box[0] + off, sun_box[1] - off * 0.3, sun_box[2] + off,
                    sun_box[3] - off * 0.3), 0)  # fmt: skip
        img.paste(pal["sun"], (0, 0), moon.filter(ImageFilter.GaussianBlur(0.7)))
    else:
        _paint(img, ("ellipse", sun_box), pal["sun"])

    # Mountain ranges: far ones tall, jagged and hazy; near ones low, darker, rounder hills.
    # Each fades into the mist at its foot.
    layers = rng.randint(2, 4)
    ridge_colours = pal["ridges"][-layers:]
    for i, colour in enumerate(ridge_colours):
        depth = i / max(1, layers - 1)  # 0 far .. 1 near
        base = horizon - h * (0.2 - 0.16 * depth) * rng.uniform(0.8, 1.2)
        amplitude = h * (0.11 - 0.08 * depth) * rng.uniform(0.7, 1.3)
        roughness = 0.62 - 0.12 * depth
        pts = _ridge(rng, w, base, amplitude, roughness)
        top = min(y for _, y in pts)
        colour = _mix(_jitter(colour, rng, 6), haze, 0.35 * (1 - depth))
        foot = _mix(colour, haze, 0.35 - 0.2 * depth)
        shading = Image.new("RGB", (w, h))
        shading.paste(_vertical([colour, foot], w, int(horizon - top) + 4), (0, int(top)))
        _paint(img, ("polygon", [*pts, (w, horizon + 3), (0, horizon + 3)]), shading)
        if name == "winter" and i < layers - 1:
            # Snow caps: thicker the higher a peak rises above the snow line.
            line = top + amplitude * 0.45
            lower = [(x, y + max(0.0, line - y) * 0.45) for x, y in pts]
            _paint(img, ("polygon", [*pts, *lower[::-1]]), _mix(colour, (255, 255, 255), 0.7))

    # The steppe: a ground gradient from the horizon down, crossed by gentle swells.
    ground_stops = [_jitter(c, rng, 8) for c in pal["ground"]]
    ground_rows = h - int(horizon)
    img.paste(_vertical(ground_stops, w, ground_rows), (0, int(horizon)))
    # A soft line of mist along the horizon.
    _soft(
        img,
        haze,
        lambda d, k: d.rectangle(
            (0, (horizon - h * 0.012) * k, w * k, (horizon + h * 0.012) * k), 110
        ),
        h * 0.02,
    )

    feature = rng.choice(("lake", "road", "none", "lake", "road"))
    if feature == "lake":
        lx = w * rng.uniform(0.2, 0.8)
        ly = horizon + (h - horizon) * rng.uniform(0.12, 0.25)
        lrx = w * rng.uniform(0.14, 0.28)
        lry = (h - horizon) * rng.uniform(0.05, 0.1)
        water = _mix(pal["water"], haze, 0.3)
        _paint(img, ("ellipse", (lx - lrx, ly - lry, lx + lrx, ly + lry)), water)
        shine = _mix(water, (255, 255, 255), 0.35)
        for _ in range(rng.randint(3, 6)):
            sx = lx + rng.uniform(-0.55, 0.55) * lrx
            sy = ly + rng.uniform(-0.45, 0.45) * lry
            sw = lrx * rng.uniform(0.06, 0.16)
            _paint(img, ("line", [(sx - sw, sy), (sx + sw, sy)], 1.5), shine)

    for i in range(rng.randint(1, 2)):
        base = horizon + (h - horizon) * (0.5 + 0.28 * i) * rng.uniform(0.9, 1.1)
        pts = _ridge(rng, w, base, (h - horizon) * 0.1, 0.5)
        colour = _mix(ground_stops[1], (0, 0, 0), 0.1 + 0.12 * i)
        _paint(img, ("polygon", [*pts, (w, h + 2), (0, h + 2)]), colour)

    if feature == "road":
        # A track running from the horizon to the viewer, bending as it comes closer.
        vx = w * rng.uniform(0.3, 0.7)
        bottom_x = w * rng.uniform(0.25, 0.75)
        bend = w * rng.uniform(-0.25, 0.25)
        half = w * rng.uniform(0.06, 0.1)
        left, right = [], []
        for j in range(25):
            t = j / 24
            y = horizon + (h + 4 - horizon) * t
            x = vx + (bottom_x - vx) * t + bend * t * (1 - t)
            hw = 1 + half * t**1.3
            left.append((x - hw, y))
            right.append((x + hw, y))
        road = _mix(_mix(ground_stops[0], ground_stops[1], 0.5), (255, 255, 255), 0.2)
        _paint(img, ("polygon", [*left, *right[::-1]]), road)

    # A flock of birds over the steppe, sometimes.
    if rng.random() < 0.55 and name != "night":
        bird_colour = _mix(pal["ridges"][-1], (0, 0, 0), 0.3)
        fx, fy = w * rng.uniform(0.1, 0.75), horizon * rng.uniform(0.2, 0.55)
        for _ in range(rng.randint(3, 7)):
            bx = fx + rng.uniform(0, w * 0.12)
            by = fy + rng.uniform(-h * 0.04, h * 0.04)
            s = rng.uniform(5, 10)
            wing = [(bx - s, by - s * 0.45), (bx - s * 0.4, by - s * 0.2), (bx, by),
                    (bx + s * 0.4, by - s * 0.2), (bx + s, by - s * 0.45)]  # fmt: skip
            _paint(img, ("line", wing, 1.6), bird_colour)

    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88, optimize=True, progressive=True)
    return buf.getvalue()
