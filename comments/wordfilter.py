"""Banned-word matcher for comment pre-moderation, for Russian and Kazakh text.

Pure Python, standard library only. comments.services loads the moderators' rules from the
database, compiles them once with `compile_rules` (cached) and asks `matches` or `find`.

    matcher = compile_rules([Rule("дурак"), Rule("хер", kind="word"), Rule(r"х+р+е+н", "regex")])
    matcher.find("Сам ты дурaк!")  # [Match(rule=Rule("дурак"), found="дурaк", start=7, end=12)]
    matcher.matches("Хороший корабль")  # False

Rule kinds
----------
"stem"  The stem at the START of a word, followed by nothing or by a plausible Russian or
        Kazakh inflection (see "Endings" below): "дурак" matches "дурак", "дураки",
        "дураками", "дурактар", but not "дураковатый". A stem needs 3 letters or more.
        A stem never matches in the middle of a word: "бля" does not match "корабля",
        "рубля", "оскорблять" or "употреблять".
"word"  Only that word, with no ending: "хер" matches "хер" and "ХЕР" but not "хера" or
        "херсон". Use it for short or ambiguous words.
"regex" A Python regular expression searched in the normalized text (lower case, NFKC,
        ё written е, Kazakh і written и, look-alike letters folded as described below;
        letters are not squeezed and spaced letters are not joined). It is compiled with
        re.IGNORECASE; ё and і in the pattern are rewritten like the text.

A stem or word pattern may be a phrase of several words ("сукин сын"): the words must
follow each other in the comment, separated by anything that is not a letter or digit.
In a stem phrase every word of 3 letters or more may take an ending; shorter words must
appear exactly.

What counts as the same letter
------------------------------
* NFKC, then case folding: "ＤＵＲＡＫ", "𝐝𝐮𝐫𝐚𝐤" and "DURAK" are all "durak"; ё = е.
  Combining marks (stress marks) and invisible format characters (zero-width spaces,
  soft hyphens, bidi controls) are dropped, and letters with accents are their plain
  letter ("ќ" is к, "ӓ" is а), except й, which stays й.
* Kazakh і (and Latin i) are treated as и, so the Ukrainian-looking "пiздец" is caught; a
  moderator writes Kazakh stems with і or и, as he likes.
* Look-alikes. A word (a run of letters and digits) that contains at least one Cyrillic
  letter is folded: Latin a c e o p x y k m t h b i, Greek α β γ ε ι κ μ ο π ρ τ χ, the
  weaker look-alikes n→п, r→г, u→и, w→ш, and the digits 0→о, 3→з, 4→ч, 6→б, and @→а
  are all read as the Cyrillic letters they imitate ("дурaк", "xpeн", "6ля", "сук@").
  A word with NO Cyrillic letter is folded only if every character in it is a strong
  look-alike (the Latin and Greek letters above, the digits above and @) and it has at
  least one letter: "cyka" and "xep" are read as "сука" and "хер", whereas "hello",
  "moscow", "2024" and "user@mail" stay as they are. Decision: an English
  word made only of strong look-alikes ("cake", "box", "coca") is folded too, into
  Cyrillic nonsense that can only match a rule if it happens to spell a banned word, and
  writing a banned word in Latin look-alikes is exactly the cheap trick to catch. The weak
  look-alikes never fold a Latin-only word, so "xopowo" or "xyu" (transliteration rather
  than look-alikes) stay Latin.
* Stretched letters: "дуураак" is "дурак". A letter repeated in the comment matches the
  same letter once in the pattern (a doubled letter in the pattern needs at least two).
* Spaced letters: three or more single letters separated by the SAME gap ("д у р а к",
  "д.у.р.а.к", "д-у-р-а-к", "д_у_р_а_к", "д. у. р. а. к", at most 4 characters of gap)
  are joined into one word and checked like a word. Because a run of single letters can
  begin or end with real one-letter words (а, б, в, ж, и, к, о, с, у, я), up to three such
  letters may be left off either end of the run ("и д у р а к и"), but nothing else: the
  spaced "к о р а б л я" is not "бля". Words inside the run must be separated by a
  different gap ("т ы  д у р а к" with two spaces); a whole sentence spaced with one
  space is read as one long word and not matched.
* Words glued by one in-word character ("дур-ак", "ду.рак", "ду_рак", "ду*рак") are also
  checked joined, from the first piece ("дур-ак" is "дурак"; "кора-бля" is "бля" because
  "бля" is a word there of its own).

Endings
-------
A stem may be followed by one Russian inflection (noun, adjective and verb endings, the
possessive -ин and the -ец families, with an optional reflexive -ся/-сь), or by a chain
of Kazakh suffixes in their grammatical order (derivation or verb form, plural,
possession, case, personal ending), at most 10 letters: "ақымақ" matches "ақымақтар",
"ақымақсың", "ақымақтарың", "ақымаққа". The lists are closed and short on purpose:
"сук" matches "сука", "суки", "сукин", but not "сукно", "сукна", "сукном". Derivations
with other suffixes or with consonant changes ("дурачок", "ақымағы") need their own
stems, and so do prefixed forms ("похер", "заебал"): a stem is only looked for at the
start of a word. A short stem that begins innocent words ("хер": "херсон", "херес") is
safe as long as their continuations are no endings, but a stem that is itself an
innocent word ("сук", a branch) matches it: use "word" rules for those.

Performance: the comment is normalized and tokenized once; each word is looked up in an
index keyed by its first (squeezed) letters, so the cost grows with the length of the
comment, not with the number of stem and word rules. Regex rules are searched one by one.
On a 3,000-character comment against 500 stem rules, `find` takes about 1 ms.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from itertools import groupby

__all__ = ["KINDS", "Match", "Matcher", "Rule", "compile_rules", "validate_pattern"]

KINDS = ("stem", "word", "regex")
MIN_STEM_LETTERS = 3
MAX_PATTERN_LENGTH = 300


@dataclass(frozen=True)
class Rule:
    pattern: str  # what the moderator typed: a word stem, a phrase, or a regex
    kind: str = "stem"  # "stem", "word" or "regex"
    label: str = ""  # optional, shown to moderators


@dataclass(frozen=True)
class Match:
    rule: Rule
    found: str  # the fragment of the original text that matched, as typed
    start: int  # offsets in the original text
    end: int


# --- Normalization --------------------------------------------------------------------


def _base_letters():
    """ё = е, Kazakh (or Ukrainian) і = и, and Cyrillic and Latin letters with accents are
    their plain letter ("ќ" is к, "ӓ" is а, "é" is e), except й. Applied everywhere: in
    texts, patterns and endings."""
    table = {"ё": "е", "і": "и"}
    for code in (*range(0xC0, 0x250), *range(0x400, 0x530)):
        letter = chr(code).casefold()
        decomposed = unicodedata.normalize("NFD", letter)
        if letter == "й" or len(letter) != 1 or len(decomposed) < 2:
            continue
        if all(unicodedata.combining(mark) for mark in decomposed[1:]):
            table[letter] = table.get(decomposed[0], decomposed[0])
    return table


_BASE_TABLE = _base_letters()
_BASE_LETTERS = re.compile("[" + "".join(_BASE_TABLE) + "]")


def _base(text):
    # re.sub, because str.translate with a table this size is slow on long texts.
    return _BASE_LETTERS.sub(lambda letter: _BASE_TABLE[letter.group()], text)


# Characters that are their own NFKC form, fold to exactly one character, and are not
# marks or invisible format characters: the text is copied one to one over them. A test
# checks these properties character by character.
_SIMPLE_CHARS = (
    "\t\n\r\x20-\x7e\u00a1-\u00a7\u00a9\u00ab\u00ac\u00ae\u00b0\u00b1\u00b6\u00b7\u00bb\u00bf-\u00de"
    "\u00e0-\u00ff\u0400-\u0482\u048a-\u052f\u2013\u2014\u2018\u2019\u201c\u201d\u201e"
)
# Combining marks that compose with the letter before them (й written as и + breve).
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_ALL_SIMPLE = re.compile(f"[{_SIMPLE_CHARS}]*")
_PIECES = re.compile(
    f"(?P<simple>(?:[{_SIMPLE_CHARS}](?![{_MARKS}]))+)|(?P<cluster>.[{_MARKS}]*)", re.DOTALL
)
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


class _Normalized:
    """The normalized text and, for each of its characters, where it came from."""

    __slots__ = ("ends", "starts", "text")

    def __init__(self, original):
        if _ALL_SIMPLE.fullmatch(original):
            self.text = _base(original.casefold())
            self.starts = self.ends = None
            return
        out, starts, ends = [], [], []
        for piece in _PIECES.finditer(original):
            a, b = piece.span()
            if piece.lastgroup == "simple":
                out.append(_base(piece.group().casefold()))
                starts.extend(range(a, b))
                ends.extend(range(a + 1, b + 1))
                continue
            folded = unicodedata.normalize("NFKC", piece.group())
            folded = unicodedata.normalize("NFKC", folded.casefold())
            for char in folded:
                if unicodedata.category(char) in _DROPPED_CATEGORIES:
                    continue
                out.append(_base(char))
                starts.append(a)
                ends.append(b)
        self.text = "".join(out)
        self.starts, self.ends = starts, ends

    def span(self, a, b):
        """The span in the original text of the normalized characters a..b (b > a)."""
        if self.starts is None:
            return a, b
        return self.starts[a], self.ends[b - 1]


# --- Look-alike letters -----------------------------------------------------------------

_STRONG_LOOKALIKES = {
    # Latin
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "i": "и", "k": "к", "m": "м",
    "o": "о", "p": "р", "t": "т", "x": "х", "y": "у",
    # Greek
    "α": "а", "β": "в", "γ": "у", "ε": "е", "ι": "и", "κ": "к", "μ": "м", "ο": "о",
    "π": "п", "ρ": "р", "τ": "т", "χ": "х",
    # Digits and signs
    "0": "о", "3": "з", "4": "ч", "6": "б", "@": "а",
}  # fmt: skip
_WEAK_LOOKALIKES = {"n": "п", "r": "г", "u": "и", "w": "ш"}
_FOLD_MIXED = str.maketrans({**_STRONG_LOOKALIKES, **_WEAK_LOOKALIKES})
_FOLD_LATIN = str.maketrans(_STRONG_LOOKALIKES)
_CYRILLIC = re.compile("[\u0400-\u052f]")
_ALL_STRONG = re.compile(
    "(?=.*[a-zα-ω])[" + re.escape("".join(_STRONG_LOOKALIKES)) + "]+", re.DOTALL
)

# A word: letters and digits, with @ allowed inside or at the end ("сук@", "дур@к"), not
# at the start, where it introduces a user name.
_TOKEN = re.compile(r"[^\W_]++(?:@++[^\W_]++)*+@*+")


_FOLDABLE = re.compile(
    "[" + re.escape("".join(_STRONG_LOOKALIKES) + "".join(_WEAK_LOOKALIKES)) + "]"
)


def _fold(word):
    if not _FOLDABLE.search(word):
        return word
    if _CYRILLIC.search(word):
        return word.translate(_FOLD_MIXED)
    if _ALL_STRONG.fullmatch(word):
        return word.translate(_FOLD_LATIN)
    return word


# --- Endings ------------------------------------------------------------------------------

_RUSSIAN_ENDINGS = """
    а я о е ь ы и у ю й
    ом ем ой ей ою ею ам ям ах ях ов ев ами ями
    ью ья ье ьи ьев ьям ьями ьях ьей ьею
    ий ия ие ии ию ием ией иям иями иях иев
    ый ая яя ое ее ые ую юю ого его ому ему ым им ых их ыми ими
    ин ина ину ины ино иной иным иных ином иного иному
    ец ца цу це цом цы цов цам цами цах
    ть ти л ла ло ли ет ут ют ит ат ят ешь ишь ете ите йте ьте
    ать ять еть ить уть ыть ал ала ало али ял яла яло яли ел ела ело ели ил ила ило или
    ает ают аешь аем аете яет яют яешь ует уют аю яю ую
"""
_KAZAKH_DERIVATION = "лық лік дық дік тық тік шы ші"
_KAZAKH_PLURAL = "лар лер дар дер тар тер"
_KAZAKH_POSSESSIVE = "ым ім м ың ің ң ы і сы сі ымыз іміз мыз міз ыңыз іңіз ңыз ңіз"
_KAZAKH_AFTER_POSSESSIVE = "н на не нда нде нан нен"  # cases after the 3rd person -ы/-і/-сы
_KAZAKH_CASE = """
    ның нің дың дің тың тің ға ге қа ке а е ны ні ды ді ты ті
    да де та те дан ден тан тен мен бен пен
"""
_KAZAKH_PERSONAL = """
    мын мін бын бін пын пін сың сің мыз міз быз біз пыз піз сыз сіз
    сыңдар сіңдер сыздар сіздер
"""
# Verb forms: an optional negation, then a tense, participle or converb suffix, which
# may itself take the noun suffixes ("тіркелгендер", "сіктім").
_KAZAKH_NEGATION = "ма ме ба бе па пе"
_KAZAKH_VERBAL = "ған ген қан кен ды ді ты ті ып іп атын етін йтын йтін мақ мек"
MAX_ENDING_LETTERS = 10


def _alternatives(words):
    forms = sorted({_base(word) for word in words.split()}, key=lambda w: (-len(w), w))
    return "(?:" + "|".join(forms) + ")"


_RUSSIAN = _alternatives(_RUSSIAN_ENDINGS)
_KAZAKH = (
    f"(?:{_alternatives(_KAZAKH_DERIVATION)}"
    f"|(?:{_alternatives(_KAZAKH_NEGATION)})?{_alternatives(_KAZAKH_VERBAL)})?"
    f"(?:{_alternatives(_KAZAKH_PLURAL)})?"
    f"(?:{_alternatives(_KAZAKH_POSSESSIVE)}(?:{_alternatives(_KAZAKH_AFTER_POSSESSIVE)})?)?"
    f"(?:{_alternatives(_KAZAKH_CASE)})?"
    f"(?:{_alternatives(_KAZAKH_PERSONAL)})?"
)
# One Russian inflection with an optional reflexive -ся/-сь, or Kazakh suffixes in order.
_ENDING = re.compile(f"{_RUSSIAN}?(?:ся|сь)?|{_KAZAKH}")
_REPEATS = re.compile(r"(.)\1+", re.DOTALL)


def _squeeze(word):
    return _REPEATS.sub(r"\1", word)


@functools.lru_cache(maxsize=4096)
def _is_ending(rest):
    if not rest:
        return True
    squeezed = _squeeze(rest)
    if len(squeezed) > MAX_ENDING_LETTERS:
        return False
    return bool(_ENDING.fullmatch(rest) or _ENDING.fullmatch(squeezed))


# --- Word patterns ------------------------------------------------------------------------


class _WordPattern:
    """One word of a stem or word rule, as runs of letters: "дуурак" is д1 у2 р1 а1 к1."""

    __slots__ = ("key", "runs", "stem")

    def __init__(self, word, stem):
        self.runs = tuple((char, len(list(group))) for char, group in groupby(word))
        self.stem = stem
        self.key = _squeeze(word)[:3]

    def fits(self, word):
        """Is `word` this pattern, letters possibly stretched, plus (for a stem) an ending?"""
        position, length = 0, len(word)
        last = len(self.runs) - 1
        for index, (char, count) in enumerate(self.runs):
            end = position
            while end < length and word[end] == char:
                end += 1
            extra = end - position - count
            if extra < 0:
                return False
            if index == last:
                if not self.stem:
                    return end == length
                # Stretched letters at the end of the stem may also begin the ending
                # ("ақымаққа" is "ақымақ" + "қа").
                return (
                    _is_ending(word[end:])
                    or (extra > 0 and _is_ending(word[end - 1 :]))
                    or (extra > 1 and _is_ending(word[end - extra :]))
                )
            position = end
        return True  # not reached: a pattern has at least one letter


@dataclass(frozen=True)
class _Prepared:
    words: tuple[_WordPattern, ...] = ()
    regex: re.Pattern | None = None


def _pattern_words(pattern):
    """The normalized, folded words of a stem or word pattern, or ValueError."""
    normalized = _Normalized(pattern).text
    words = [_fold(token.group()) for token in _TOKEN.finditer(normalized)]
    between = _TOKEN.sub(" ", normalized)
    if (
        not words
        or between.strip(" -\u2010\u2011\u2013\u2014\t\n")
        or not all(word.isalpha() for word in words)
    ):
        raise ValueError(
            f"The pattern {pattern!r} may contain only letters, spaces and hyphens. "
            'Use a "regex" rule for anything else.'
        )
    return words


_EMPTY_PROBES = ("", " ", "а", "x", "1", "дурак", "a b", "д у р а к")
_REGEX_BASE = str.maketrans({"ё": "е", "Ё": "Е", "і": "и", "І": "И"})


def _prepare(pattern, kind):
    if not isinstance(pattern, str):
        raise ValueError(f"The pattern must be text, not {type(pattern).__name__}.")
    if kind not in KINDS:
        raise ValueError(f"Unknown rule kind {kind!r}; expected one of: {', '.join(KINDS)}.")
    if not pattern.strip():
        raise ValueError("The pattern is empty.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(
            f"The pattern is too long ({len(pattern)} characters; "
            f"the limit is {MAX_PATTERN_LENGTH})."
        )
    if kind == "regex":
        try:
            regex = re.compile(pattern.translate(_REGEX_BASE), re.IGNORECASE)
        except (re.error, OverflowError, RecursionError) as error:
            raise ValueError(
                f"The pattern {pattern!r} is not a valid regular expression: {error}."
            ) from None
        if any(not match.group() for probe in _EMPTY_PROBES for match in regex.finditer(probe)):
            raise ValueError(
                f"The regular expression {pattern!r} matches the empty string, "
                "so it would hold every comment."
            )
        return _Prepared(regex=regex)
    words = _pattern_words(pattern)
    if kind == "stem":
        if max(len(word) for word in words) < MIN_STEM_LETTERS:
            raise ValueError(
                f"The stem {pattern!r} is too short: a stem needs at least "
                f"{MIN_STEM_LETTERS} letters, or it would match the start of too many "
                'innocent words. Use a "word" rule for a short word.'
            )
        return _Prepared(
            words=tuple(_WordPattern(w, stem=len(w) >= MIN_STEM_LETTERS) for w in words)
        )
    return _Prepared(words=tuple(_WordPattern(w, stem=False) for w in words))


def validate_pattern(pattern, kind="stem"):
    """Raise ValueError with a message for the admin form if the rule cannot be used."""
    _prepare(pattern, kind)


# --- Matching -----------------------------------------------------------------------------

# Russian one-letter words, which may stand before or after spaced letters.
_ONE_LETTER_WORDS = frozenset("абвжиксоуя")
_MAX_LOOSE_LETTERS = 3  # one-letter words left off either end of a run of spaced letters
_MIN_RUN = 3
# Three or more one-letter words with the same gap (1 to 4 characters) between them.
_SPACED = re.compile(
    r"(?<![^\W_])[^\W\d_](?P<gap>(?:[^\w@]|_){1,4})[^\W\d_](?:(?P=gap)[^\W\d_])+(?![^\W_]|@)"
)
# Words glued by one in-word character: "дур-ак", "ду.рак", "ду_рак", "ду*рак".
_GLUE = ".-_*'`~+|·\u2010\u2011\u2013\u2019"
_GLUED = re.compile(
    r"(?<![^\W_])" + _TOKEN.pattern + "(?:[" + re.escape(_GLUE) + "]" + _TOKEN.pattern + ")+"
)
_MAX_GLUED = 8


class Matcher:
    """Compiled rules; build it with compile_rules()."""

    def __init__(self, rules, prepared):
        self.rules = tuple(rules)
        self._index = {}  # squeezed first letters -> [(rule number, word patterns)]
        self._regexes = []  # [(rule number, compiled regex)]
        for number, item in enumerate(prepared):
            if item.regex is not None:
                self._regexes.append((number, item.regex))
            else:
                self._index.setdefault(item.words[0].key, []).append((number, item.words))

    def __repr__(self):
        return f"<Matcher: {len(self.rules)} rules>"

    def find(self, text):
        """Every match in `text`, in the order of the text; one per rule and place."""
        text = text or ""
        found = dict.fromkeys(self._scan(text))
        return [
            Match(rule=self.rules[number], found=text[start:end], start=start, end=end)
            for number, start, end in sorted(found, key=lambda item: (item[1], item[2], item[0]))
        ]

    def matches(self, text):
        """Does any rule match `text`?"""
        return next(self._scan(text or ""), None) is not None

    # The scans yield (rule number, start, end) in the original text, maybe repeated.

    def _scan(self, text):
        normalized = _Normalized(text)
        norm = normalized.text
        folds = {}  # word -> folded word, for this text
        tokens = []  # (start, end, folded word) in the normalized text
        for token in _TOKEN.finditer(norm):
            word = token.group()
            folded = folds.get(word)
            if folded is None:
                folded = folds[word] = _fold(word)
            tokens.append((token.start(), token.end(), folded))
        if self._index:
            yield from self._scan_words(normalized, tokens)
            yield from self._scan_glued(normalized, folds)
            yield from self._scan_spaced(normalized)
        if self._regexes:
            pieces, position = [], 0
            for start, end, folded in tokens:
                pieces.append(norm[position:start])
                pieces.append(folded)
                position = end
            pieces.append(norm[position:])
            folded_text = "".join(pieces)
            for number, regex in self._regexes:
                for match in regex.finditer(folded_text):
                    if match.end() > match.start():
                        yield (number, *normalized.span(match.start(), match.end()))

    def _candidates(self, word):
        """(rule number, word patterns) of the rules whose first word may fit `word`."""
        squeezed = _squeeze(word) if len(word) > 1 else word
        found = ()
        for size in (1, 2, 3):
            if size > len(squeezed):
                break
            entries = self._index.get(squeezed[:size])
            if entries:
                found = entries if not found else [*found, *entries]
        return found

    def _single_word(self, word):
        """Numbers of the one-word rules that `word` matches."""
        for number, patterns in self._candidates(word):
            if len(patterns) == 1 and patterns[0].fits(word):
                yield number

    def _scan_words(self, normalized, tokens):
        count = len(tokens)
        hits_by_word = {}
        for i, (start, _end, word) in enumerate(tokens):
            hits = hits_by_word.get(word)
            if hits is None:
                hits = hits_by_word[word] = [
                    (number, patterns)
                    for number, patterns in self._candidates(word)
                    if patterns[0].fits(word)
                ]
            for number, patterns in hits:
                last = i + len(patterns) - 1
                if last < count and all(
                    pattern.fits(tokens[i + k][2]) for k, pattern in enumerate(patterns[1:], 1)
                ):
                    yield (number, *normalized.span(start, tokens[last][1]))

    def _scan_glued(self, normalized, folds):
        """Words cut in pieces by one in-word character, joined from the first piece."""
        norm = normalized.text
        for chain in _GLUED.finditer(norm):
            pieces = list(_TOKEN.finditer(norm, chain.start(), chain.end()))[:_MAX_GLUED]
            words = [folds.get(piece.group()) or _fold(piece.group()) for piece in pieces]
            reported = set()
            for last in range(len(pieces) - 1, 0, -1):  # the longest join first
                for number in self._single_word("".join(words[: last + 1])):
                    if number not in reported:
                        reported.add(number)
                        yield (number, *normalized.span(chain.start(), pieces[last].end()))

    def _scan_spaced(self, normalized):
        """Single letters with the same gap between them: "д у р а к", "д.у.р.а.к"."""
        norm = normalized.text
        position = 0
        while run := _SPACED.search(norm, position):
            places = range(run.start(), run.end(), 1 + len(run.group("gap")))
            yield from self._check_run(normalized, places)
            # A run with another gap may begin at this run's last letter: "и в д.у.р.а.к".
            position = run.end() - 1

    def _check_run(self, normalized, places):
        norm = normalized.text
        letters = "".join(_fold(norm[place]) for place in places)
        size = len(letters)
        head = 0
        while head < min(size, _MAX_LOOSE_LETTERS) and letters[head] in _ONE_LETTER_WORDS:
            head += 1
        tail = 0
        while tail < min(size, _MAX_LOOSE_LETTERS) and letters[-1 - tail] in _ONE_LETTER_WORDS:
            tail += 1
        reported = set()  # one match per rule and run, the longest
        for first in range(head + 1):
            for stop in range(size, max(first + _MIN_RUN, size - tail) - 1, -1):
                for number in self._single_word(letters[first:stop]):
                    if number not in reported:
                        reported.add(number)
                        yield (number, *normalized.span(places[first], places[stop - 1] + 1))


def compile_rules(rules):
    """A Matcher for `rules` (Rule objects). Raises ValueError naming the first unusable
    pattern (the same checks as validate_pattern). Cached for equal lists of rules."""
    rules = tuple(rules)
    try:
        hash(rules)
    except TypeError:  # rule-like objects that cannot be hashed: no cache
        return _compile(rules)
    return _compile_cached(rules)


@functools.lru_cache(maxsize=16)
def _compile_cached(rules):
    return _compile(rules)


def _compile(rules):
    prepared = []
    for rule in rules:
        try:
            prepared.append(_prepare(rule.pattern, rule.kind))
        except ValueError as error:
            if repr(rule.pattern) in str(error):
                raise
            raise ValueError(f"Rule {rule.pattern!r}: {error}") from None
    return Matcher(rules, prepared)
