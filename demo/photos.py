"""Photos of the demo assets, drawn with Pillow: a car in its colour with its plate, a building
with its floors, a plot on its map. Each asset's drawing follows from its id (no downloads)."""

from __future__ import annotations

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageOps

WIDTH, HEIGHT = 960, 640
RGB = tuple[int, int, int]
INK = (34, 34, 38)
GLASS = (150, 186, 210)


# Dawn, noon, dusk and haze. An asset's id picks its sky, every other run of four ids sees its
# side view mirrored, and each run of eight a later hour: assets near each other (often the same
# model in the same colour) never share a picture, whatever else their random draws give (a
# plot's plan, which is labelled, is never mirrored).
SKIES: list[tuple[RGB, RGB]] = [
    ((96, 150, 214), (206, 226, 240)),
    ((120, 170, 220), (236, 222, 196)),
    ((70, 96, 150), (236, 170, 120)),
    ((150, 190, 226), (226, 232, 236)),
]


class AssetRandom(random.Random):
    """The random draws of one view of one asset, and the sky its id picks."""

    def __init__(self, asset_id: int, view: int) -> None:
        super().__init__(f"{asset_id}-{view}")
        self.asset_id = asset_id
        self.sky = asset_id % len(SKIES)
        # How far into the evening: five steps, changing every eight ids.
        self.dusk = (asset_id // (2 * len(SKIES))) % 5 * 0.13


def photos(asset_id: int, drawing: str, *, colour: RGB, label: str) -> list[SimpleUploadedFile]:
    """Two photos (two views) of the asset `asset_id`, as JPEG uploads."""
    draw = {
        "SEDAN": _vehicle,
        "SUV": _vehicle,
        "PICKUP": _vehicle,
        "APARTMENT": _apartment,
        "VILLA": _villa,
        "SHOP": _shop,
        "LAND": _plot,
    }[drawing]
    uploads = []
    for view in (0, 1):
        image = draw(AssetRandom(asset_id, view), view, drawing=drawing, colour=colour, label=label)
        if view == 0 and drawing != "LAND" and (asset_id // len(SKIES)) % 2:  # no text
            image = ImageOps.mirror(image)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        uploads.append(
            SimpleUploadedFile(
                f"asset-{asset_id}-{view + 1}.jpg", buffer.getvalue(), content_type="image/jpeg"
            )
        )
    return uploads


def _mix(first: RGB, second: RGB, share: float) -> RGB:
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(first, second, strict=True))
    return (red, green, blue)


def _scene(rng: random.Random, ground: RGB) -> tuple[Image.Image, ImageDraw.ImageDraw, int]:
    """Sky (dawn, noon or dusk), a skyline in the distance and the ground; returns the horizon."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    top, bottom = SKIES[rng.sky] if isinstance(rng, AssetRandom) else rng.choice(SKIES)
    if isinstance(rng, AssetRandom):
        top, bottom = _mix(top, (24, 32, 64), rng.dusk), _mix(bottom, (70, 56, 80), rng.dusk)
    horizon = rng.randrange(330, 420)
    for y in range(horizon):
        draw.line([(0, y), (WIDTH, y)], fill=_mix(top, bottom, y / horizon))
    x = 0
    while x < WIDTH:
        width, height = rng.randrange(40, 120), rng.randrange(30, 150)
        shade = rng.randrange(150, 200)
        draw.rectangle(
            [x, horizon - height, x + width, horizon], fill=(shade, shade - 6, shade - 14)
        )
        x += width + rng.randrange(0, 30)
    for y in range(horizon, HEIGHT):
        draw.line([(0, y), (WIDTH, y)], fill=_mix(ground, (120, 110, 96), (y - horizon) / HEIGHT))
    return image, draw, horizon


def _plate(draw: ImageDraw.ImageDraw, centre: int, top: int, text: str) -> None:
    width = max(120, 14 * len(text) + 24)
    box = [centre - width // 2, top, centre + width // 2, top + 36]
    draw.rectangle(box, fill=(248, 248, 244), outline=INK, width=3)
    draw.text((centre, top + 18), text, fill=INK, anchor="mm", font_size=24)


def _vehicle(
    rng: random.Random, view: int, *, drawing: str, colour: RGB, label: str
) -> Image.Image:
    """A side view (first photo) or a front view (second), in the car's colour, plate shown."""
    image, draw, horizon = _scene(rng, (200, 182, 146))
    floor = horizon + rng.randrange(150, 200)
    edge = _mix(colour, INK, 0.55)
    if view == 1:
        return _vehicle_front(image, draw, floor, drawing=drawing, colour=colour, label=label)
    left = rng.randrange(90, 170)
    length = 640 if drawing == "SEDAN" else 700
    tall = {"SEDAN": 110, "SUV": 170, "PICKUP": 150}[drawing]
    body = [left, floor - 60 - tall, left + length, floor - 40]
    draw.rounded_rectangle(body, radius=36, fill=colour, outline=edge, width=4)
    if drawing == "SEDAN":
        cabin = [left + 150, floor - 60 - tall - 80, left + 470, floor - 60 - tall + 10]
    elif drawing == "PICKUP":  # the cab at the front (right), the open bed behind it
        cabin = [
            left + length - 370,
            floor - 60 - tall - 90,
            left + length - 120,
            floor - 60 - tall + 10,
        ]
        draw.rectangle(
            [left + 10, floor - 60 - tall - 24, left + length - 390, floor - 60 - tall + 6],
            fill=edge,
        )
    else:
        cabin = [left + 70, floor - 60 - tall - 90, left + 560, floor - 60 - tall + 10]
    draw.rounded_rectangle(cabin, radius=28, fill=colour, outline=edge, width=4)
    windows = 2 if drawing != "SUV" else 3
    span = (cabin[2] - cabin[0] - 40) // windows
    for number in range(windows):
        x = cabin[0] + 20 + number * span
        draw.rounded_rectangle(
            [x, cabin[1] + 16, x + span - 14, cabin[3] - 14], radius=10, fill=GLASS
        )
    for x in (left + 130, left + length - 130):
        draw.ellipse([x - 64, floor - 100, x + 64, floor + 28], fill=(28, 28, 30))
        draw.ellipse([x - 30, floor - 66, x + 30, floor - 6], fill=(176, 176, 176))
    draw.rectangle(
        [left + length - 34, body[1] + 26, left + length - 4, body[1] + 52], fill=(255, 214, 120)
    )
    draw.ellipse([left + 40, floor + 24, left + length - 40, floor + 44], fill=(90, 80, 66))
    return image


def _vehicle_front(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    floor: int,
    *,
    drawing: str,
    colour: RGB,
    label: str,
) -> Image.Image:
    edge = _mix(colour, INK, 0.55)
    half = 230 if drawing == "SEDAN" else 260
    tall = 150 if drawing == "SEDAN" else 210
    centre = WIDTH // 2
    draw.ellipse(
        [centre - half - 20, floor + 10, centre + half + 20, floor + 40], fill=(90, 80, 66)
    )
    draw.rounded_rectangle(
        [centre - half, floor - tall, centre + half, floor],
        radius=40,
        fill=colour,
        outline=edge,
        width=4,
    )
    draw.rounded_rectangle(
        [centre - half + 50, floor - tall - 110, centre + half - 50, floor - tall + 20],
        radius=30,
        fill=colour,
        outline=edge,
        width=4,
    )
    draw.rounded_rectangle(
        [centre - half + 70, floor - tall - 92, centre + half - 70, floor - tall + 4],
        radius=14,
        fill=GLASS,
    )
    for side in (-1, 1):
        x = centre + side * (half - 60)
        draw.ellipse([x - 34, floor - tall + 30, x + 34, floor - tall + 70], fill=(255, 236, 170))
    draw.rectangle([centre - 110, floor - tall + 40, centre + 110, floor - tall + 90], fill=edge)
    _plate(draw, centre, floor - 56, label)
    return image


def _building(
    rng: random.Random, view: int, floors: int, wall: RGB, width: int
) -> tuple[Image.Image, ImageDraw.ImageDraw, int, int, int]:
    image, draw, horizon = _scene(rng, (206, 196, 176))
    ground = horizon + 120
    height = floors * 62 + 30
    left = (WIDTH - width) // 2 + (-90 if view else 60) + rng.randrange(-30, 30)
    shade = _mix(wall, INK, 0.25)
    if view:  # the second photo shows the building at an angle
        draw.polygon(
            [
                (left + width, ground),
                (left + width + 110, ground - 40),
                (left + width + 110, ground - height - 30),
                (left + width, ground - height),
            ],
            fill=shade,
        )
    draw.rectangle([left, ground - height, left + width, ground], fill=wall, outline=shade, width=3)
    draw.rectangle([0, ground, WIDTH, ground + 26], fill=(150, 148, 140))
    return image, draw, left, ground, height


def _windows(
    draw: ImageDraw.ImageDraw, left: int, ground: int, floors: int, columns: int, width: int
) -> None:
    step = width // columns
    for floor in range(floors):
        for column in range(columns):
            x = left + column * step + step // 4
            y = ground - 62 * (floor + 1) - 6
            draw.rectangle([x, y, x + step // 2, y + 36], fill=GLASS, outline=(96, 96, 96), width=2)


def _apartment(
    rng: random.Random, view: int, *, drawing: str, colour: RGB, label: str
) -> Image.Image:
    floors = rng.randrange(4, 9)
    wall = rng.choice([(224, 206, 172), (214, 214, 206), (232, 220, 196), (196, 176, 150)])
    image, draw, left, ground, _height = _building(rng, view, floors, wall, 400)
    _windows(draw, left, ground, floors, 4, 400)
    draw.rectangle([left + 170, ground - 60, left + 230, ground], fill=(96, 70, 48))
    return image


def _villa(rng: random.Random, view: int, *, drawing: str, colour: RGB, label: str) -> Image.Image:
    wall = rng.choice([(236, 224, 200), (226, 210, 180), (240, 236, 226), (214, 196, 170)])
    image, draw, left, ground, _height = _building(rng, view, 2, wall, 460)
    _windows(draw, left, ground, 2, 5, 460)
    draw.rectangle(
        [left - 40, ground - 70, left + 500, ground], outline=_mix(wall, INK, 0.3), width=8
    )
    draw.rectangle([left + 200, ground - 70, left + 260, ground], fill=(120, 84, 52))
    for x in (left - 80, left + 560):  # palm trees beside the wall
        draw.rectangle([x, ground - 220, x + 14, ground], fill=(120, 90, 60))
        for angle in range(-2, 3):
            draw.ellipse(
                [x - 60 + angle * 20, ground - 250, x + 74 + angle * 20, ground - 200],
                fill=(56, 120, 64),
            )
    return image


def _shop(rng: random.Random, view: int, *, drawing: str, colour: RGB, label: str) -> Image.Image:
    wall = rng.choice([(214, 206, 196), (200, 190, 176), (226, 218, 204)])
    image, draw, left, ground, _height = _building(rng, view, 3, wall, 520)
    _windows(draw, left, ground - 124, 1, 5, 520)
    awning = rng.choice([(168, 40, 44), (36, 96, 150), (34, 110, 80), (190, 130, 40)])
    draw.rectangle([left + 10, ground - 120, left + 510, ground], fill=(170, 200, 214))
    for stripe in range(10):
        fill = awning if stripe % 2 == 0 else (240, 240, 236)
        draw.rectangle(
            [left + 10 + stripe * 50, ground - 150, left + 60 + stripe * 50, ground - 118],
            fill=fill,
        )
    return image


def _plot(rng: random.Random, view: int, *, drawing: str, colour: RGB, label: str) -> Image.Image:
    """The plot on its subdivision plan (first photo), or the empty land behind its fence."""
    if view == 1:
        image, draw, horizon = _scene(rng, (214, 190, 150))
        for post in range(60, WIDTH, 90):
            draw.rectangle([post, horizon + 40, post + 8, horizon + 110], fill=(110, 100, 90))
        draw.line([(40, horizon + 60), (WIDTH - 40, horizon + 60)], fill=(110, 100, 90), width=3)
        draw.line([(40, horizon + 90), (WIDTH - 40, horizon + 90)], fill=(110, 100, 90), width=3)
        return image
    # The plan's paper and its street by the asset's id (a plan is never mirrored: it is labelled).
    tone = rng.sky if isinstance(rng, AssetRandom) else rng.randrange(len(SKIES))
    paper = [(240, 236, 224), (214, 226, 236), (236, 222, 206), (222, 234, 214)][tone]
    road = _mix((170, 170, 166), (60, 60, 70), rng.dusk if isinstance(rng, AssetRandom) else 0.0)
    image = Image.new("RGB", (WIDTH, HEIGHT), paper)
    draw = ImageDraw.Draw(image)
    # Where the street runs, by the id too: two plans alike in paper and hour are 280 ids apart.
    street = (
        250 + rng.asset_id * 37 % 140 if isinstance(rng, AssetRandom) else rng.randrange(250, 390)
    )
    draw.rectangle([0, street, WIDTH, street + 60], fill=road)
    columns, chosen = rng.randrange(5, 8), rng.randrange(1, 4)
    width = (WIDTH - 80) // columns
    for row, top in enumerate((60, street + 90)):
        for column in range(columns):
            x = 40 + column * width
            box = [x + 6, top, x + width - 6, top + street - 90 if row == 0 else top + 180]
            picked = row == 0 and column == chosen
            fill = (236, 196, 120) if picked else (224, 226, 212)
            draw.rectangle(box, fill=fill, outline=(120, 120, 110), width=3 if picked else 1)
    x = 40 + chosen * width + width // 2
    draw.text((x, 60 + (street - 90) // 2), label, fill=INK, anchor="mm", font_size=28)
    draw.polygon([(WIDTH - 70, 40), (WIDTH - 84, 80), (WIDTH - 56, 80)], fill=INK)
    return image
