"""Latin slugs for Russian and Kazakh titles."""

import re
import unicodedata

# A practical, readable romanisation (close to what Russian news sites put in their URLs),
# extended with the nine Kazakh letters so none of them is silently dropped.
CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Kazakh
    "ә": "a", "ғ": "g", "қ": "q", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
    "і": "i",
    # Ukrainian and Belarusian letters that turn up in names
    "є": "ye", "ї": "yi", "ґ": "g", "ў": "u",
}  # fmt: skip

SLUG_MAX_LENGTH = 80


# Invisible characters that can reorder or hide text (bidi overrides, zero-width joiners
# used to dodge filters); ordinary text never needs them.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\x00]")


def strip_invisible(text):
    """`text` without bidi overrides, zero-width characters and NUL."""
    return INVISIBLE.sub("", text or "")


def transliterate(text):
    """Return `text` with Cyrillic letters written in Latin ones, case kept."""
    out = []
    # A title pasted in decomposed form ("й" as и + breve) must give the same slug.
    for char in unicodedata.normalize("NFC", text):
        lower = char.lower()
        latin = CYRILLIC_TO_LATIN.get(lower)
        if latin is None:
            out.append(char)
        elif char != lower and latin:
            out.append(latin[0].upper() + latin[1:])
        else:
            out.append(latin)
    return "".join(out)


def slugify_title(title, max_length=SLUG_MAX_LENGTH):
    """A URL slug from a Russian, Kazakh or Latin title.

    "Казахстанцы смогут выбирать акимов городов" -> "kazahstantsy-smogut-vybirat-akimov-gorodov"
    Long slugs are cut at a word boundary.
    """
    ascii_text = (
        unicodedata.normalize("NFKD", transliterate(title)).encode("ascii", "ignore").decode()
    )
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:max_length]
    return slug
