import re

from hypothesis import given
from hypothesis import strategies as st

from articles.text import SLUG_MAX_LENGTH, slugify_title, transliterate


def test_russian_title_gives_the_expected_slug():
    assert (
        slugify_title("Казахстанцы смогут выбирать акимов городов")
        == "kazahstantsy-smogut-vybirat-akimov-gorodov"
    )


def test_kazakh_letters_are_transliterated_not_dropped():
    assert slugify_title("Әуежай, ғылым, қала, аң, өнер, ұлт, үй, һәм, іс") == (
        "auezhay-gylym-qala-ang-oner-ult-uy-ham-is"
    )


def test_kazakh_title():
    assert slugify_title("Алматыда жаңа саябақ ашылды") == "almatyda-zhanga-sayabaq-ashyldy"


def test_punctuation_quotes_and_numbers():
    assert slugify_title("«Щука» и ёж: 2024 год — итоги!") == "schuka-i-ezh-2024-god-itogi"


def test_case_is_kept_by_transliterate():
    assert transliterate("Шымкент Ұлытау") == "Shymkent Ulytau"


def test_long_titles_are_cut_at_a_word_boundary():
    slug = slugify_title("Очень " * 40)
    assert len(slug) <= SLUG_MAX_LENGTH
    assert not slug.endswith("-")
    assert set(slug.split("-")) == {"ochen"}


@given(st.text(max_size=300))
def test_any_title_gives_a_clean_slug(title):
    slug = slugify_title(title)
    assert len(slug) <= SLUG_MAX_LENGTH
    assert re.fullmatch(r"([a-z0-9]+(-[a-z0-9]+)*)?", slug)


CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"


@given(st.text(alphabet=CYRILLIC + " ", min_size=1, max_size=60))
def test_no_cyrillic_letter_is_lost(title):
    # Every letter except the hard and soft signs leaves a trace in the slug.
    letters = [char for char in title if char not in " ъь"]
    assert bool(letters) == bool(slugify_title(title))
