"""The shape of a benchmark discussion, shared by our seeding and the peer's.

Pure Python (no Django), so the peer's virtualenv imports the very same module and both
apps get the same threads, the same depths and the same texts, comment for comment.
"""

import random

TOP_LEVEL_SHARE = 0.3
MAX_DEPTH = 5  # replies nest up to this level (0 is a top-level comment)
USERS = 200  # distinct commenters

SENTENCES = [
    "Спасибо за материал, давно ждали, когда кто-нибудь об этом напишет.",
    "А кто будет отвечать, если через год всё снова развалится?",
    "У нас во дворе то же самое, третий год обещают сделать.",
    "Не согласен: в статье не сказано, сколько это стоит городу.",
    "Читал оригинал отчёта, там цифры немного другие, но смысл тот же.",
    "Хорошая новость, наконец-то хоть что-то сдвинулось с места.",
    "Вопрос к редакции: будет ли продолжение про соседние районы?",
    "Жаль, что общественные слушания опять провели в рабочее время.",
    "Автобусы по этому маршруту ходят раз в сорок минут, это не шутка.",
    "Поддерживаю предыдущего комментатора, всё так и есть.",
    "Мен де осы жерде тұрамын, жағдай шынымен қиын.",
    "Рақмет, өте пайдалы ақпарат екен.",
    "Цены на рынке за месяц выросли почти на треть, сам видел.",
    "Интересно, а что думают жители самого микрорайона?",
    "Пусть сначала дороги починят, а потом отчитываются.",
    "Лучше поздно, чем никогда. Посмотрим, как будет работать зимой.",
    "В прошлом году обещали то же самое, ничего не изменилось.",
    "Отличная фотография на обложке, кто автор?",
    "Согласна, но без нормального финансирования это просто слова.",
    "Дети ходят в школу через эту стройку, когда поставят забор?",
]


def body(rng):
    """One to four sentences, now and then in two paragraphs: 60 to 400 characters."""
    parts = rng.sample(SENTENCES, rng.randint(1, 4))
    if len(parts) > 2 and rng.random() < 0.3:
        return " ".join(parts[:2]) + "\n\n" + " ".join(parts[2:])
    return " ".join(parts)


def discussion(n, seed=None):
    """n comments in posting order (a parent always before its replies).

    Returns a list of dicts: parent (index into the list, or None), depth, author
    (0..USERS-1), body, minutes_ago. About TOP_LEVEL_SHARE are top-level; a reply goes to a
    recent comment (readers answer what they just read) whose depth allows one more level.
    """
    rng = random.Random(n if seed is None else seed)
    items = []
    for index in range(n):
        parent = None
        if index and rng.random() >= TOP_LEVEL_SHARE:
            for _attempt in range(20):
                # Recent comments are the likeliest to be answered.
                candidate = max(0, index - 1 - int(rng.expovariate(1 / 40)))
                if items[candidate]["depth"] < MAX_DEPTH:
                    parent = candidate
                    break
        depth = 0 if parent is None else items[parent]["depth"] + 1
        items.append(
            {
                "parent": parent,
                "depth": depth,
                "author": rng.randrange(USERS),
                "body": body(rng),
                # Spread over two days at most, oldest first.
                "minutes_ago": (n - index) * 2880 / max(n, 1),
            }
        )
    return items


def describe(items):
    roots = sum(1 for item in items if item["parent"] is None)
    deepest = max((item["depth"] for item in items), default=0)
    return f"{len(items)} comments, {roots} threads, depth up to {deepest}"


if __name__ == "__main__":
    for size in (16, 1000, 5000):
        print(describe(discussion(size)))
