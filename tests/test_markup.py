import pytest

from articles.markup import plain_text, render_body


def test_paragraphs_headings_quotes_links_and_lists():
    html = render_body(
        "Первый абзац.\n\n## Подзаголовок\n\n> Цитата эксперта\n\n"
        "[Ссылка](https://example.org/a)\n\n- один\n- два"
    )
    assert "<p>Первый абзац.</p>" in html
    assert "<h2>Подзаголовок</h2>" in html
    assert "<blockquote>" in html and "Цитата эксперта" in html
    assert 'href="https://example.org/a"' in html and 'rel="noopener noreferrer"' in html
    assert "<li>один</li>" in html


def test_top_level_heading_becomes_h2_so_the_title_stays_the_only_h1():
    assert "<h1>" not in render_body("# Заголовок")
    assert "<h2>Заголовок</h2>" in render_body("# Заголовок")


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<iframe src='https://example.org'></iframe>",
    ],
)
def test_dangerous_markup_is_removed(source):
    html = render_body(source)
    for needle in ("<script", "onerror", "javascript:", "data:", "style=", "<iframe"):
        assert needle not in html


def test_images_from_other_sites_are_dropped():
    # A picture hot-linked from elsewhere would leak readers' visits to that site.
    assert "example.org" not in render_body("![x](https://example.org/pic.jpg)")


def test_unknown_image_reference_is_dropped():
    assert "image:" not in render_body("Текст\n\n![подпись](image:999)")


def test_plain_text_strips_markup_and_shortens():
    assert plain_text("**Жирный** [текст](https://example.org)") == "Жирный текст"
    assert plain_text("слово " * 100, limit=30).endswith("…")
