"""The PII development set: the images the detector and its normalisation rules are tuned on.

DejaVu, Liberation, FreeFont, Inter, Cantarell, Hack and Linux Libertine/Biolinum faces; rows that are a
value after a label, a value alone, a short sentence of this set's own wording, or two values side by side
under table headings; plain paper, a panel over scikit-image's coffee, brick, grass, camera, coins, moon,
immunohistochemistry, retina, clock, page and text photos (the last two with printed and handwritten text of their
own), outlined text straight on those photos, and a coloured sign seen at an angle in them; under the same kinds of
conditions the evaluation set (``benchmarks.pii_evaluation``) checks: small grey text, dark mode, low
contrast, rotation up to 10 degrees, perspective, JPEG. Every fifth image is a negative of look-alike rows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import phonenumbers
from PIL import Image, ImageDraw

from benchmarks.datasets import photo
from benchmarks.text_images import (
    Colour,
    Segment,
    TextImage,
    Truth,
    card_number,
    draw_line,
    font,
    homography,
    iban,
    ipv4,
    ipv6,
    line_width,
    pasted_in,
    rotated,
    ssn,
    warped,
)
from modstream_models.images import jpeg_round_trip

FONTS = (
    "truetype/dejavu/DejaVuSans.ttf",
    "truetype/dejavu/DejaVuSerif.ttf",
    "truetype/dejavu/DejaVuSansMono.ttf",
    "truetype/dejavu/DejaVuSans-Bold.ttf",
    "truetype/liberation/LiberationSans-Regular.ttf",
    "truetype/liberation/LiberationSerif-Regular.ttf",
    "truetype/freefont/FreeSans.ttf",
    "truetype/freefont/FreeSerif.ttf",
    "opentype/inter/Inter-Regular.otf",
    "opentype/inter/Inter-Medium.otf",
    "opentype/inter/Inter-Italic.otf",
    "opentype/cantarell/Cantarell-Regular.otf",
    "opentype/cantarell/Cantarell-Bold.otf",
    "truetype/hack/Hack-Regular.ttf",
    "opentype/linux-libertine/LinLibertine_R.otf",
    "opentype/linux-libertine/LinBiolinum_R.otf",
)
PHOTOS = (
    "coffee",
    "brick",
    "grass",
    "camera",
    "coins",
    "moon",
    "immunohistochemistry",
    "retina",
    "clock",
    "page",
    "text",
)
ON_PHOTO = ("photo-panel", "photo-bare")  # styles whose whole background is a photo (a sign stands in one)
LOOKS = {  # style: text heights, ink, paper (for photo-bare: the outline)
    "document": ((16, 24, 32), (20, 20, 20), (250, 250, 245)),
    "ui-small": ((12,), (128, 128, 128), (255, 255, 255)),
    "dark-mode": ((14, 16), (220, 220, 220), (32, 32, 36)),
    "low-contrast": ((18, 24), (110, 110, 110), (170, 170, 170)),
    "photo-panel": ((16, 24), (10, 60, 140), (210, 230, 250)),
    "photo-bare": ((20, 26, 32, 40), (255, 240, 120), (10, 10, 10)),
    "sign": ((20, 26, 32), (255, 255, 255), (150, 30, 30)),
}
ANGLES = (0.0, 0.0, -3.0, 3.0, -6.0, 8.0, -10.0)
NAMES = (
    *("Jane Doe", "Omar Khan", "Li Wei", "Maria Garcia", "Sam Lee", "Priya Patel", "Tom Berg", "Ahmed Hassan"),
    *("Olga Petrova", "Kwame Mensah", "Sofia Rossi", "Hiroshi Tanaka", "Ngozi Okafor", "Lucas Silva", "Anna Nowak"),
    *("Ravi Kumar", "Emma Schmidt", "Chen Jing", "Fatima Zahra", "Pablo Ortega"),
)
DOMAINS = (
    *("example.com", "mail.org", "corp.net", "post.example.de", "uni-hamburg.de", "mail.co.uk", "startup.io"),
    *("yahoo.com", "hotmail.co.uk", "icloud.com", "gmx.de", "web.de", "posteo.net"),
)
PLACES = (
    *("Paris", "Boston", "Madrid", "Seattle", "Berlin", "Dublin", "Austin", "Toronto", "Lagos", "Mumbai"),
    *("Vienna", "Osaka", "Cairo", "Chicago", "Lisbon", "Warsaw"),
)
PHONE_REGIONS = ("US", "US", "AU", "ES", "IT", "NL", "CH")
NEGATIVE_EVERY = 5  # every fifth image is a negative


def _phone(rng: random.Random) -> str:
    region = rng.choice(PHONE_REGIONS)
    if region == "US":
        while True:  # an assigned area code and exchange: a number that could be dialled
            area, exchange, line = rng.randrange(201, 990), rng.randrange(200, 999), rng.randrange(10000)
            if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}{exchange}{line:04d}")):
                return rng.choice(["+1 {}-{}-{:04d}", "({}) {}-{:04d}", "{}.{}.{:04d}"]).format(area, exchange, line)
    while True:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        assert example is not None, region
        national = str(example.national_number)
        number = phonenumbers.parse(f"+{example.country_code}{national[:2]}{rng.randrange(10 ** (len(national) - 2))}")
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _card(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return card_number(rng, "37", 15, (4, 6, 5), rng.choice([" ", "-"]))
    return card_number(rng, rng.choice(["4", "4", "51", "55"]), 16, (4, 4, 4, 4), rng.choice([" ", " ", "-", ""]))


def _email(rng: random.Random) -> str:
    first, last = rng.choice(NAMES).lower().split()
    dotted, appended = rng.randrange(100), rng.randrange(10, 99)
    local = rng.choice(
        [f"{first}.{dotted}", f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}{appended}", f"{first}_{last}",
         f"{first}-{last}", f"{last}{first[0]}", f"{first.title()}.{last.title()}", f"{first}+news", "info",
         f"{first}.{last}_{dotted % 10}"]
    )  # fmt: skip
    return f"{local}@{rng.choice(DOMAINS)}"


VALUES = {
    "EMAIL_ADDRESS": _email,
    "PHONE_NUMBER": _phone,
    "CREDIT_CARD": _card,
    "IBAN_CODE": lambda rng: iban(rng, rng.choice(["DE", "GB", "FR", "NL", "ES", "IT"]), grouped=rng.random() < 0.8),
    "US_SSN": lambda rng: ssn(rng, rng.choice(["-", "-", " ", "."])),
    "IP_ADDRESS": lambda rng: ipv4(rng) if rng.random() < 0.85 else ipv6(rng),
    "PERSON": lambda rng: rng.choice(NAMES),
    "LOCATION": lambda rng: rng.choice(PLACES),
}
LABELS = {  # labels a value follows on its line
    "EMAIL_ADDRESS": ("Contact:", "E-mail address:", "Email", "Reply-To:", "Write to"),
    "PHONE_NUMBER": ("Phone:", "Tel.", "Mobile:", "Call us", "Fax"),
    "CREDIT_CARD": ("Card:", "Card no.", "Visa", "Payment card:", "CC#"),
    "IBAN_CODE": ("IBAN:", "IBAN No.", "Bank account (IBAN):", "Account", "Beneficiary IBAN"),
    "US_SSN": ("SSN:", "Social Security Number:", "Soc. Sec. #", "SSN (last verified)", "Taxpayer ID", "SS No:"),
    "IP_ADDRESS": ("IP:", "Client IP", "Source address:", "Server"),
    "PERSON": ("Name:", "Customer:", "Patient name", "Attn:"),
    "LOCATION": ("City:", "Ship to", "Destination:", "Born in"),
}
COLUMNS = {  # a table's column headings
    "EMAIL_ADDRESS": "Email", "PHONE_NUMBER": "Phone", "CREDIT_CARD": "Card", "IBAN_CODE": "Account",
    "US_SSN": "SSN", "IP_ADDRESS": "Address", "PERSON": "Name", "LOCATION": "City",
}  # fmt: skip
SENTENCES = {  # this set's own wording; the value goes where the braces are
    "EMAIL_ADDRESS": ("mail me at {} please", "or email {}", "Questions? Write to {}.", "({})", "Sent from {}"),
    "PHONE_NUMBER": ("ring {} after six", "my number is {}", "Call {} now.", "Hotline: {} (24h)"),
    "CREDIT_CARD": ("the card {} is on file", "use {} for this", "Charged to {}.", "Card ending {} declined"),
    "IBAN_CODE": ("wire it to {} today", "our account is {}", "Refund sent to {}, ref 8812", "{} (EUR account)"),
    "US_SSN": (
        *("his SSN is {}", "ssn on record {}", "Social Security No. {}", "SSN# {} verified", "Employee {} on file"),
        *("SSN {}.", "Enter {} to confirm", "Tax form W-2 for {}", "{} (social security)"),
    ),
    "IP_ADDRESS": ("host {} went down", "traffic came from {}", "Login from {} blocked", "ping {} failed"),
    "PERSON": (
        *("Best wishes, {}", "ask {} about it", "Dear {},", "Prepared by {} on Monday", "signed: {}", "Thanks, {}!"),
        "From: {}",
    ),
    "LOCATION": ("We meet in {} next week", "moving to {} soon", "flights to {} are full", "Office in {}."),
}
ENTITIES = tuple(VALUES)
LOOK_ALIKES = (
    lambda rng: f"Invoice: INV-{rng.randrange(10**5, 10**6)}",
    lambda rng: f"Ticket: {rng.randrange(10**7, 10**8)}",
    lambda rng: f"Price: EUR {rng.randrange(10, 999)}.{rng.randrange(100):02d}",
    lambda rng: f"Build: {rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(200)}",
    lambda rng: f"Apartment: {rng.randrange(1, 30)}-{rng.randrange(100, 999)}",
    lambda rng: f"ISBN: 0-{rng.randrange(100, 999)}-{rng.randrange(10000, 99999)}-X",
    lambda rng: f"Train: ICE {rng.randrange(100, 999)} at {rng.randrange(24)}:{rng.randrange(60):02d}",
    lambda rng: f"tracking no {rng.randrange(10**11, 10**12)} shipped",
    lambda rng: f"part {rng.choice('PQRT')}{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)} in stock",
    lambda rng: f"Due {rng.randrange(1, 28):02d}/{rng.randrange(1, 13):02d}/20{rng.randrange(24, 30)} at noon",
    lambda rng: f"Score {rng.randrange(10)}-{rng.randrange(10)} after extra time",
    lambda rng: f"Platform {rng.randrange(1, 12)}, coach {rng.randrange(1, 15)}",
    lambda rng: (
        f"Flight {rng.choice(['LH', 'BA', 'UA', 'KL'])} {rng.randrange(100, 9999)} at gate B{rng.randrange(60)}"
    ),
    lambda rng: f"Room {rng.randrange(100, 2000)}, floor {rng.randrange(1, 20)}",
    lambda rng: f"Order #A-{rng.randrange(10**4, 10**5)}-{rng.randrange(10, 99)}",
    lambda rng: f"v{rng.randrange(1, 5)}.{rng.randrange(30)}.{rng.randrange(10)} released",
    lambda rng: f"Seat {rng.randrange(1, 40)}{rng.choice('ABCDEF')}, row {rng.randrange(1, 40)}",
    lambda rng: f"SKU {rng.randrange(1000, 9999)}-{rng.randrange(100, 999)}-{rng.randrange(10, 99)}",
    lambda rng: f"EAN {rng.randrange(10**12, 10**13)}",
    lambda rng: f"Serial SN-{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}",
    lambda rng: f"Lat {rng.uniform(-80, 80):.4f}, Lon {rng.uniform(-170, 170):.4f}",
    lambda rng: f"Opening hours {rng.randrange(6, 10):02d}:00-{rng.randrange(17, 22)}:30",
    lambda rng: f"Doc ID {rng.randrange(2019, 2027)}-{rng.randrange(1, 13):02d}-{rng.randrange(10000):04d}",
    lambda rng: f"Model XR-{rng.randrange(100, 9999)} ships in {rng.randrange(2, 9)} days",
    lambda rng: (
        f"ISBN 978-{rng.randrange(10)}-{rng.randrange(10, 99)}-{rng.randrange(100000, 999999)}-{rng.randrange(10)}"
    ),
    lambda rng: f"Total: ${rng.randrange(1, 9)},{rng.randrange(1000):03d}.{rng.randrange(100):02d} incl. tax",
    lambda rng: (
        f"Version {rng.randrange(1, 20)}.{rng.randrange(10)}.{rng.randrange(10000, 30000)}"
        f" (build {rng.randrange(1000, 9999)})"
    ),
    lambda rng: f"Suite {rng.randrange(100, 2500)}, Rm. {rng.randrange(1, 60)}{rng.choice('ABC')}",
    lambda rng: f"PO {rng.randrange(4500000000, 4599999999)} confirmed",
    lambda rng: f"Order No. {rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}",
    lambda rng: (
        f"Departs {rng.randrange(24):02d}:{rng.randrange(60):02d},"
        f" arrives {rng.randrange(24):02d}:{rng.randrange(60):02d}"
    ),
    lambda rng: f"Colour #{rng.randrange(16**6):06X}, {rng.randrange(20, 99)}% opacity",
    lambda rng: f"MAC {':'.join(f'{rng.randrange(256):02x}' for _ in range(6))}",
    lambda rng: f"Build hash {rng.randrange(16**10):010x}",
    lambda rng: f"Temperature {rng.randrange(-20, 40)}.{rng.randrange(10)} C at {rng.randrange(1, 12)} pm",
    lambda rng: f"Case {rng.randrange(10, 99)}-CV-{rng.randrange(1000, 99999)}",
    lambda rng: f"Gross weight {rng.randrange(1, 999)}.{rng.randrange(100):02d} kg, {rng.randrange(1, 99)} boxes",
    lambda rng: f"Step {rng.randrange(1, 9)} of {rng.randrange(9, 20)}: press {rng.randrange(100000, 999999)}",
    # the same kinds inside sentences
    lambda rng: f"Your order {rng.randrange(100, 999)}-{rng.randrange(10**6, 10**7)} ships on Monday.",
    lambda rng: (
        f"Boarding for {rng.choice(['AF', 'DL', 'QF', 'EK'])}{rng.randrange(10, 999)}"
        f" closes at Gate {rng.randrange(1, 60)}."
    ),
    lambda rng: (
        f"The meeting moved to Room {rng.randrange(100, 999)}{rng.choice(['', 'B'])} on Level {rng.randrange(1, 9)}."
    ),
    lambda rng: f"Update to release {rng.randrange(1, 12)}.{rng.randrange(10)}.{rng.randrange(30)} before Friday",
    lambda rng: (
        f"Now only {rng.choice(['$', '£', '€'])}{rng.randrange(5, 500)}.{rng.choice(['99', '95', '00'])}"
        " while stocks last!"
    ),
    lambda rng: f"Chapter {rng.randrange(1, 30)} starts on page {rng.randrange(10, 400)}",
    lambda rng: f"Quote reference {rng.choice('KMRT')}{rng.randrange(10**7, 10**8)} when you call",
    lambda rng: (
        f"Batch {rng.randrange(10**5, 10**6)} expires"
        f" {rng.choice(['March', 'June', 'October'])} {rng.randrange(2026, 2031)}"
    ),
    lambda rng: f"Thanks for shopping with us! Receipt {rng.randrange(10**9, 10**10)}",
    lambda rng: (
        f"The {rng.randrange(2, 40)} kg parcel was weighed at {rng.randrange(7, 19)}:{rng.randrange(60):02d} today"
    ),
    lambda rng: (
        f"Please keep ticket {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)} safe"
    ),
    lambda rng: f"Table {rng.randrange(1, 40)} ordered {rng.randrange(2, 9)} coffees at {rng.randrange(8, 12)} am",
    # numbers shaped like a card, a phone number, an SSN or an IP address after labels of other things
    lambda rng: f"Membership no. {' '.join(str(rng.randrange(1000, 9999)) for _ in range(3))}",
    lambda rng: f"Claim {rng.randrange(100, 999)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)} approved",
    lambda rng: f"Policy {rng.randrange(1000, 9999)}-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}-A",
    lambda rng: (
        f"Firmware {rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(10)}.{rng.randrange(200)} installed"
    ),
    lambda rng: f"Patch notes for {rng.randrange(1, 12)}.{rng.randrange(10)}.{rng.randrange(50)}.{rng.randrange(255)}",
    lambda rng: (
        f"Transaction 2026{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}-{rng.randrange(1000, 9999)}"
        f"-{rng.randrange(1000, 9999)}"
    ),
    lambda rng: f"Booking confirmation {rng.randrange(10**9, 10**10)}",
    lambda rng: f"Container {rng.choice(['MSCU', 'TGHU', 'CMAU'])} {rng.randrange(10**6, 10**7)}",
    lambda rng: f"Extension {rng.randrange(1000, 9999)}, option {rng.randrange(1, 9)}",
    lambda rng: f"Figure {rng.randrange(1, 9)}.{rng.randrange(1, 9)}.{rng.randrange(1, 9)}: results by region",
    lambda rng: f"Resolution {rng.choice([1920, 2560, 3840])}x{rng.choice([1080, 1440, 2160])} at 144 Hz",
    lambda rng: (
        f"Downloaded {rng.randrange(1, 9)}.{rng.randrange(10)} GB of {rng.randrange(10, 99)}.{rng.randrange(10)} GB"
    ),
    lambda rng: f"Population {rng.randrange(10**5, 10**7):,} (census {rng.randrange(2000, 2025)})",
    lambda rng: f"Aisle {rng.randrange(1, 30)}, Shelf {rng.randrange(1, 9)}, Bin {rng.randrange(100, 999)}",
    lambda rng: f"Kernel {rng.randrange(4, 7)}.{rng.randrange(20)}.0-{rng.randrange(10, 99)}-generic",
    lambda rng: f"UPC 0 {rng.randrange(10000, 99999)} {rng.randrange(10000, 99999)} {rng.randrange(10)}",
    lambda rng: f"Bus {rng.randrange(1, 300)} every {rng.randrange(5, 30)} min from stop {rng.randrange(1000, 9999)}",
    lambda rng: f"Locker {rng.randrange(1, 400)}, code {rng.randrange(1000, 9999)}",
    lambda rng: f"Q1 {rng.randrange(1000, 9999):,} Q2 {rng.randrange(1000, 9999):,} Q3 {rng.randrange(1000, 9999):,}",
    lambda rng: f"Voucher valid {rng.randrange(1, 28):02d}.{rng.randrange(1, 13):02d}.{rng.randrange(2026, 2028)}",
    lambda rng: f"Account balance {rng.randrange(100, 9999)}.{rng.randrange(100):02d} USD",
    # capitalised words a language model may take for a name or a place
    lambda rng: (
        f"{rng.choice(['Free Shipping', 'Grand Total', 'Best Seller', 'Happy Hour', 'Express Checkout'])}"
        f" on orders over {rng.randrange(20, 99)}"
    ),
    lambda rng: (
        f"Product: {rng.choice(['Nova Lite', 'Aurora Pro', 'Falcon Max', 'Orion Mini'])}"
        f" {rng.choice([64, 128, 256])} GB"
    ),
    lambda rng: (
        f"{rng.choice(['North Wing', 'East Entrance', 'Parking Level B2', 'Terminal 2'])}, door {rng.randrange(1, 30)}"
    ),
    lambda rng: (
        f"Season {rng.randrange(1, 9)}, Episode {rng.randrange(1, 24)}:"
        f" {rng.choice(['The Return', 'Winter Is Here', 'Lost Signal'])}"
    ),
    # a label as OCR sometimes reads it, a thin letter doubled: an unknown capitalised word to the language model
    lambda rng: (
        f"{rng.choice(['Cruisse', 'Deliverry', 'Shuttlle', 'Tiicket', 'Termiinal', 'Cabiin'])}"
        f" {rng.choice('KMSX')}{rng.randrange(1, 99)} {rng.choice(['leaves', 'opens', 'closes'])} at"
        f" {rng.randrange(6, 23)}:{rng.randrange(60):02d}"
    ),
)


def _row(rng: random.Random, label: str) -> list[Segment]:
    """A value after a label, alone on its line, or in a sentence."""
    value, kind = VALUES[label](rng), rng.random()
    if kind < 0.4:
        return [(f"{rng.choice(LABELS[label])} ", None), (value, label)]
    if kind < 0.55:
        return [(value, label)]
    before, after = rng.choice(SENTENCES[label]).split("{}")
    return [(text, tag) for text, tag in ((before, None), (value, label), (after, None)) if text]


def _table(rng: random.Random, labels: Sequence[str]) -> list[list[Segment]]:
    """Two values side by side under their column headings, a wide gap between them."""
    gap = " " * 8
    values = [(VALUES[label](rng), label) for label in labels]
    return [[(gap.join(COLUMNS[label] for label in labels), None)], [values[0], (gap, None), values[1]]]


def _background(rng: random.Random, style: str, size: tuple[int, int], paper: Colour) -> Image.Image:
    if style in ON_PHOTO:
        image = photo(rng.choice(PHOTOS)).resize(size)
        if style == "photo-panel":
            ImageDraw.Draw(image).rectangle((10, 10, size[0] - 10, size[1] - 10), fill=paper)
        return image
    return Image.new("RGB", size, paper)


def _card_image(rng: random.Random, rows: list[list[Segment]], style: str, index: int) -> TextImage:
    heights, ink, paper = LOOKS[style]
    height = heights[index % len(heights)]
    face = font(rng.choice(FONTS), height)
    row = height * 2
    width = max(40 + height * 26, int(max(line_width(line, face) for line in rows)) + 40)
    image = _background(rng, style, (width, 40 + row * len(rows)), paper)
    draw = ImageDraw.Draw(image)
    outline = paper if style == "photo-bare" else None
    truth: list[Truth] = []
    for number, segments in enumerate(rows):
        truth += draw_line(draw, (20, 20 + number * row), segments, face, ink, outline)
    angle = ANGLES[index % len(ANGLES)]
    if style == "sign":
        image, truth = _sign_in_photo(rng, image, truth)
        angle_name = "warp"
    elif index % 11 == 10:  # seen from the side
        w, h = image.size
        corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
        squeeze = np.array([[0, 0], [0, h * 0.12], [0, -h * 0.12], [0, 0]])
        image, truth = warped(image, truth, homography(corners, corners + squeeze), image.size, paper)
        angle_name = "warp"
    else:
        fill = tuple(int(v) for v in np.asarray(image).reshape(-1, 3).mean(axis=0)) if style in ON_PHOTO else paper
        image, truth = rotated(image, truth, angle, fill) if angle else (image, truth)  # type: ignore[arg-type]
        angle_name = f"{abs(angle):g}"
    background = "photo" if style in ON_PHOTO or style == "sign" else "plain"
    conditions = {"size": f"{height}px", "angle": angle_name, "background": background, "style": style}
    return TextImage(jpeg_round_trip(image, rng.choice([60, 75, 90])), truth, conditions)


def _sign_in_photo(rng: random.Random, plate: Image.Image, truth: list[Truth]) -> tuple[Image.Image, list[Truth]]:
    """The plate in a photo, its left or right side pushed back (a sign seen from the side) and tilted a little."""
    scene = photo(rng.choice(PHOTOS)).resize((int(plate.width * 1.3), int(plate.height * 2.0)))
    w, h = plate.size
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
    far = rng.uniform(0.08, 0.18) * h
    shrink = (
        np.array([[0, 0], [0, far], [0, -far], [0, 0]])
        if rng.random() < 0.5
        else np.array([[0, far], [0, 0], [0, 0], [0, -far]])
    )
    tilt = rng.uniform(-0.06, 0.06) * w
    centred = [[(scene.width - w) / 2, (scene.height - h) / 2 + tilt * (x / w - 0.5)] for x, _ in source]
    target = source + shrink + centred
    return pasted_in(scene, plate, truth, homography(source, target))


def development_set(count: int, seed: int = 0) -> list[TextImage]:
    """``count`` images, every fifth a negative; three entity types per positive image, taking turns."""
    rng = random.Random(seed)
    images: list[TextImage] = []
    styles = list(LOOKS)
    for index in range(count):
        if index % NEGATIVE_EVERY == NEGATIVE_EVERY - 1:
            rows: list[list[Segment]] = [[(rng.choice(LOOK_ALIKES)(rng), None)] for _ in range(4)]
        else:
            labels = [ENTITIES[(index + k * 3) % len(ENTITIES)] for k in range(3)]
            if rng.random() < 0.2:
                rows = [*_table(rng, labels[:2]), _row(rng, labels[2])]
            else:
                rows = [_row(rng, label) for label in labels]
            filler = rng.choice(["Thank you for your order", "Meeting notes, page 2", "Order summary", "Page 1 of 3"])
            rows.insert(rng.randrange(len(rows) + 1), [(filler, None)])
        images.append(_card_image(rng, rows, rng.choice(styles), index))
    return images
