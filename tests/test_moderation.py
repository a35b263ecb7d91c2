from datetime import timedelta

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.utils import timezone

from comments.models import Comment
from comments.services import CommentingClosed
from moderation import policy, services
from moderation.context_processors import moderation as moderation_context
from moderation.models import (
    Appeal,
    AuditTrailIsAppendOnly,
    BannedWord,
    ModerationAction,
    ModerationPolicy,
    Report,
    Sanction,
)

from .factories import ArticleFactory, UserFactory, comment, editor, moderator

pytestmark = pytest.mark.django_db

Status = Comment.Status
Action = ModerationAction.Action
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The queue tests make a hundred accounts; real password hashing would take a minute.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def article():
    return ArticleFactory(title="Тарифы на тепло пересмотрят")


@pytest.fixture
def author():
    return UserFactory(username="Автор")


@pytest.fixture
def mod():
    return moderator(username="Модератор")


@pytest.fixture
def visible(article, author):
    return comment(article, author=author, body="Вы все ничего не понимаете в тарифах.")


def fresh(obj):
    obj.refresh_from_db()
    return obj


def actions(**filters):
    return list(
        ModerationAction.objects.filter(**filters)
        .order_by("pk")
        .values_list("actor_id", "action", "comment_id", "target_user_id", "reason")
    )


def comment_state(pk):
    return Comment.objects.filter(pk=pk).values_list("status", "moderation_reason", "is_pinned")[0]


# Hiding, showing, approving


def test_hide_records_who_why_and_when_and_upholds_open_reports(article, visible, mod, author):
    reporter = UserFactory()
    report = Report.objects.create(comment=visible, reporter=reporter, reason="insult")

    services.hide(mod, visible, "Оскорбление")

    visible = fresh(visible)
    assert visible.status == Status.HIDDEN
    assert visible.moderation_reason == "Оскорбление"
    assert visible.moderated_by == mod
    assert visible.moderated_at is not None
    report = fresh(report)
    assert report.resolution == Report.Resolution.UPHELD
    assert report.resolved_by == mod and report.resolved_at is not None
    assert actions() == [(mod.pk, "hide", visible.pk, author.pk, "Оскорбление")]


def test_hide_needs_a_reason_and_a_visible_comment(visible, mod):
    with pytest.raises(ValidationError):
        services.hide(mod, visible, "   ")
    assert comment_state(visible.pk) == ("visible", "", False)
    services.hide(mod, visible, "Спам")
    with pytest.raises(ValidationError):
        services.hide(mod, fresh(visible), "Спам")
    with pytest.raises(ValidationError):
        services.hide(mod, visible, "x" * 301)
    assert ModerationAction.objects.count() == 1


def test_hide_reason_from_the_list_or_in_own_words():
    assert services.reason_from("spam") == "Спам"
    assert services.reason_from("insult", " про  родителей ") == "Оскорбление: про родителей"
    assert services.reason_from("other", "Реклама казино") == "Реклама казино"
    assert services.reason_from("other", "") == ""


def test_readers_and_editors_cannot_moderate(visible):
    for user in (UserFactory(), editor()):
        with pytest.raises(PermissionDenied):
            services.hide(user, visible, "Спам")
    assert comment_state(visible.pk) == ("visible", "", False)
    assert not ModerationAction.objects.exists()


def test_show_restores_a_hidden_comment_and_grants_its_open_appeal(visible, mod, author):
    services.hide(mod, visible, "Спам")
    appeal = Appeal.objects.create(comment=visible, author=author, text="Это не спам")

    services.show(mod, fresh(visible))

    assert comment_state(visible.pk) == ("visible", "", False)
    assert fresh(appeal).decision == Appeal.Decision.GRANTED
    assert [a[1] for a in actions()] == ["hide", "show"]
    with pytest.raises(ValidationError):
        services.show(mod, fresh(visible))


def test_approve_and_reject_pending_comments(article, mod, author):
    waiting = comment(article, author=author, status=Status.PENDING)
    refused = comment(article, author=author, status=Status.PENDING)

    services.approve(mod, waiting)
    services.reject(mod, refused, "Не по теме")

    assert comment_state(waiting.pk)[0] == "visible"
    assert comment_state(refused.pk) == ("hidden", "Не по теме", False)
    assert actions() == [
        (mod.pk, "approve", waiting.pk, author.pk, ""),
        (mod.pk, "reject", refused.pk, author.pk, "Не по теме"),
    ]
    with pytest.raises(ValidationError):
        services.approve(mod, fresh(waiting))  # already visible


def test_dismiss_resolves_open_reports(visible, mod):
    reports = [
        Report.objects.create(comment=visible, reporter=UserFactory(), reason="spam")
        for _ in range(2)
    ]
    assert services.dismiss_reports(mod, visible) == 2
    assert {fresh(r).resolution for r in reports} == {Report.Resolution.DISMISSED}
    assert comment_state(visible.pk)[0] == "visible"
    assert [a[1] for a in actions()] == ["dismiss"]
    with pytest.raises(ValidationError):
        services.dismiss_reports(mod, visible)


# The audit trail


def test_the_audit_trail_cannot_be_changed_or_deleted(visible, mod):
    services.hide(mod, visible, "Спам")
    row = ModerationAction.objects.get()
    row.reason = "ничего не было"
    with pytest.raises(AuditTrailIsAppendOnly):
        row.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        row.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        ModerationAction.objects.filter(pk=row.pk).update(reason="ничего")
    with pytest.raises(AuditTrailIsAppendOnly):
        ModerationAction.objects.all().delete()
    assert ModerationAction.objects.get().reason == "Спам"


def test_the_audit_trail_survives_deleting_the_moderator(visible, mod):
    services.hide(mod, visible, "Спам")
    mod.delete()
    row = ModerationAction.objects.get()
    assert row.actor_id is None and row.reason == "Спам" and row.comment_id == visible.pk


def test_the_admin_shows_the_audit_trail_read_only(client, visible, mod):
    services.hide(mod, visible, "Спам")
    row = ModerationAction.objects.get()
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    model_admin = admin_site._registry[ModerationAction]
    request = RequestFactory().get("/")
    request.user = admin
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, row)
    assert not model_admin.has_delete_permission(request, row)
    assert client.get("/admin/moderation/moderationaction/").status_code == 200
    assert client.get(f"/admin/moderation/moderationaction/{row.pk}/change/").status_code == 200
    response = client.post(
        f"/admin/moderation/moderationaction/{row.pk}/change/", {"reason": "подчистил"}
    )
    assert response.status_code == 403
    assert client.post(f"/admin/moderation/moderationaction/{row.pk}/delete/").status_code == 403
    assert ModerationAction.objects.get().reason == "Спам"


# Reports


def test_a_reader_reports_a_comment_once(visible):
    reader = UserFactory()
    services.report(reader, visible, "insult")
    with pytest.raises(ValidationError, match="уже пожаловались"):
        services.report(reader, visible, "spam")
    assert Report.objects.count() == 1
    # The database holds the rule too, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(comment=visible, reporter=reader, reason="spam")


def test_report_rules(article, visible, author, mod):
    reader = UserFactory()
    with pytest.raises(PermissionDenied):
        services.report(author, visible, "spam")  # own comment
    with pytest.raises(ValidationError):
        services.report(reader, visible, "other", "  ")  # "other" needs words
    with pytest.raises(ValidationError):
        services.report(reader, visible, "boring")
    with pytest.raises(ValidationError):
        services.report(reader, visible, "other", "x" * 501)
    hidden = comment(article, status=Status.HIDDEN)
    with pytest.raises(ValidationError):
        services.report(reader, hidden, "spam")
    services.suspend(mod, reader, 3, "Флуд")
    with pytest.raises(CommentingClosed):
        services.report(reader, visible, "spam")
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.report(AnonymousUser(), visible, "spam")
    assert not Report.objects.exists()


# Appeals


def test_the_author_appeals_once_and_sees_the_decision(russian, article, visible, author, mod):
    services.hide(mod, visible, "Оскорбление")
    visible = fresh(visible)
    with pytest.raises(PermissionDenied):
        services.appeal(UserFactory(), visible, "Отпустите")
    appeal = services.appeal(author, visible, "Я никого не оскорблял.")
    with pytest.raises(ValidationError, match="уже обжаловали"):
        services.appeal(author, visible, "Ещё раз")
    with pytest.raises(ValidationError):
        services.decide_appeal(mod, appeal, grant=False, reason="")  # a denial explains itself

    services.decide_appeal(mod, appeal, grant=False, reason="Переход на личности.")

    appeal = fresh(appeal)
    assert appeal.decision == Appeal.Decision.DENIED and appeal.decided_by == mod
    assert comment_state(visible.pk)[0] == "hidden"
    assert actions(action=Action.APPEAL_DENIED) == [
        (mod.pk, "appeal_denied", visible.pk, author.pk, "Переход на личности.")
    ]
    with pytest.raises(ValidationError):
        services.decide_appeal(mod, appeal, grant=True)

    russian.force_login(author)
    page = russian.get(f"/moderation/comments/{visible.pk}/appeal/").content.decode()
    assert "Я никого не оскорблял." in page
    assert "Отклонена" in page and "Переход на личности." in page

    # Under the comment in the discussion, where the author reads it.
    discussion = russian.get(visible.article.get_absolute_url()).content.decode()
    element = discussion[discussion.index(f'id="comment-{visible.pk}"') :].split("</article>")[0]
    assert "Отклонена" in element and "Переход на личности." in element


def test_a_granted_appeal_shows_the_comment_again(visible, author, mod):
    services.hide(mod, visible, "Спам")
    appeal = services.appeal(author, fresh(visible), "Это не реклама, это ссылка на закон.")
    services.decide_appeal(mod, appeal, grant=True, reason="Согласны, ссылка по делу.")
    assert comment_state(visible.pk) == ("visible", "", False)
    assert fresh(appeal).decision == Appeal.Decision.GRANTED
    assert [a[1] for a in actions()] == ["hide", "appeal_granted"]


def test_only_a_hidden_comment_can_be_appealed(visible, author):
    with pytest.raises(ValidationError):
        services.appeal(author, visible, "Почему?")
    assert not Appeal.objects.exists()


# Sanctions


def test_a_suspended_user_is_told_until_when_and_why(visible, mod, author):
    services.suspend(mod, author, 7, "Оскорбления в трёх темах")
    with pytest.raises(CommentingClosed) as refused:
        policy.check_can_participate(author)
    message = str(refused.value)
    assert "Оскорбления в трёх темах" in message
    assert str((timezone.localtime() + timedelta(days=7)).year) in message
    sanction = Sanction.objects.get()
    assert sanction.kind == "suspend" and sanction.created_by == mod
    assert actions() == [(mod.pk, "suspend", None, author.pk, "Оскорбления в трёх темах")]

    services.lift(mod, author)
    policy.check_can_participate(author)  # no longer refused
    assert [a[1] for a in actions()] == ["suspend", "lift"]
    with pytest.raises(ValidationError):
        services.lift(mod, author)


def test_a_ban_lasts_until_lifted_and_an_old_suspension_is_over(mod, author):
    Sanction.objects.create(
        user=author,
        kind="suspend",
        until=timezone.now() - timedelta(minutes=1),
        reason="Давно",
        created_by=mod,
    )
    policy.check_can_participate(author)
    services.ban(mod, author, "Спам-бот")
    with pytest.raises(CommentingClosed, match="Спам-бот"):
        policy.check_can_participate(author)
    assert policy.is_sanctioned(author)


def test_a_sanction_can_hide_all_the_users_comments_in_one_update(
    article, mod, author, django_assert_max_num_queries
):
    own = [comment(article, author=author) for _ in range(3)]
    waiting = comment(article, author=author, status=Status.PENDING)
    other = comment(article)
    Report.objects.create(comment=own[0], reporter=UserFactory(), reason="spam")

    with django_assert_max_num_queries(12):
        services.ban(mod, author, "Спам-бот", hide_comments=True)

    assert {comment_state(c.pk) for c in [*own, waiting]} == {("hidden", "Спам-бот", False)}
    assert comment_state(other.pk)[0] == "visible"
    assert Report.objects.get().resolution == Report.Resolution.UPHELD
    assert [a[1] for a in actions()] == ["ban", "hide_all"]
    assert actions(action=Action.HIDE_ALL)[0][3] == author.pk


def test_moderators_cannot_sanction_themselves_other_moderators_or_admins(mod, author):
    for target in (mod, moderator(), UserFactory(is_superuser=True, is_staff=True)):
        with pytest.raises(PermissionDenied):
            services.suspend(mod, target, 1, "Проверка")
    with pytest.raises(PermissionDenied):
        services.ban(editor(), author, "Редактор не модератор")
    with pytest.raises(ValidationError):
        services.suspend(mod, author, 0, "Ноль дней")
    assert not Sanction.objects.exists()


# Holding new comments


def test_premoderated_articles_hold_every_reader_comment(author):
    article = ArticleFactory(premoderate=True)
    status, reason = policy.initial_status(author, article, "Обычный комментарий")
    assert status == "pending" and reason


def test_banned_words_hold_a_comment_even_spelled_with_look_alikes(article, author):
    BannedWord.objects.create(pattern="дурак", kind="stem", label="оскорбление")
    assert policy.initial_status(author, article, "Хорошая новость") == ("visible", "")
    status, reason = policy.initial_status(author, article, "Сам ты дурaк!")  # Latin "a"
    assert status == "pending"
    assert "дурaк" in reason and "оскорбление" in reason
    status, _reason = policy.initial_status(author, article, "Какие д у р а к и")
    assert status == "pending"


def test_banned_words_follow_the_admin_at_once(article, author):
    assert policy.initial_status(author, article, "это казино") == ("visible", "")
    word = BannedWord.objects.create(pattern="казино", kind="stem")
    assert policy.initial_status(author, article, "это казино")[0] == "pending"
    word.is_active = False
    word.save()
    assert policy.initial_status(author, article, "это казино")[0] == "visible"
    policy_row = ModerationPolicy.get_solo()
    word.is_active = True
    word.save()
    policy_row.hold_banned_words = False
    policy_row.save()
    assert policy.initial_status(author, article, "это казино")[0] == "visible"


def test_links_from_new_accounts_wait(article):
    newcomer = UserFactory()
    veteran = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    for body in ("Смотрите https://example.com/x", "заходи на casino-win.com", "www.spam.kz"):
        assert policy.initial_status(newcomer, article, body)[0] == "pending", body
        assert policy.initial_status(veteran, article, body) == ("visible", ""), body
    plain = "Цена выросла на 2.5 процента, т.е. много"
    assert policy.initial_status(newcomer, article, plain) == ("visible", "")
    settings_row = ModerationPolicy.get_solo()
    settings_row.hold_links_from_new_accounts = False
    settings_row.save()
    assert policy.initial_status(newcomer, article, "https://example.com")[0] == "visible"


def test_moderators_are_never_held(mod):
    BannedWord.objects.create(pattern="дурак")
    article = ArticleFactory(premoderate=True)
    assert policy.initial_status(mod, article, "дурак https://example.com") == ("visible", "")


def test_initial_status_asks_no_query_for_readers_once_cached(
    article, author, django_assert_num_queries
):
    BannedWord.objects.create(pattern="дурак")
    policy.initial_status(author, article, "первый")
    with django_assert_num_queries(0):
        assert policy.initial_status(author, article, "дурак")[0] == "pending"


def test_banned_word_patterns_are_checked_in_the_admin_form():
    word = BannedWord(pattern="ду", kind="stem")
    with pytest.raises(ValidationError) as invalid:
        word.full_clean()
    assert "Этот шаблон нельзя использовать" in str(invalid.value.message_dict["pattern"])
    with pytest.raises(ValidationError):
        BannedWord(pattern="(", kind="regex").full_clean()
    BannedWord(pattern="дурак", kind="stem").full_clean()


def test_the_policy_is_a_single_row_the_admin_cannot_add_or_delete(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    policy_row = ModerationPolicy.get_solo()
    assert ModerationPolicy(new_account_hours=1).save() is None
    assert ModerationPolicy.objects.count() == 1 and policy_row.pk == 1
    assert client.get("/admin/moderation/moderationpolicy/add/").status_code == 403
    assert client.get("/admin/moderation/moderationpolicy/1/delete/").status_code == 403
    assert client.get("/admin/moderation/moderationpolicy/").status_code == 302


# Pins


def test_pinning_moves_the_editors_pick(article, visible):
    other = comment(article, body="Хороший разбор")
    chief = editor()
    services.pin(chief, visible)
    services.pin(chief, other)
    assert comment_state(visible.pk)[2] is False
    assert comment_state(other.pk)[2] is True
    assert [(a[1], a[2]) for a in actions()] == [
        ("pin", visible.pk),
        ("unpin", visible.pk),
        ("pin", other.pk),
    ]
    services.unpin(chief, fresh(other))
    assert not Comment.objects.filter(is_pinned=True).exists()
    with pytest.raises(ValidationError):
        services.unpin(chief, other)


def test_only_editors_and_moderators_pin_visible_comments(article, visible, mod):
    with pytest.raises(PermissionDenied):
        services.pin(UserFactory(), visible)
    hidden = comment(article, status=Status.HIDDEN)
    with pytest.raises(ValidationError):
        services.pin(mod, hidden)
    services.pin(mod, visible)
    services.hide(mod, fresh(visible), "Спам")  # a hidden comment is nobody's pick
    assert comment_state(visible.pk) == ("hidden", "Спам", False)


# Pages: permissions


def test_the_queue_is_for_moderators_only(client, visible):
    assert client.get("/moderation/")["Location"].startswith("/accounts/login/?next=")
    for user in (UserFactory(), editor()):
        client.force_login(user)
        assert client.get("/moderation/").status_code == 403
        assert client.get(f"/moderation/comments/{visible.pk}/").status_code == 403
        assert client.get(f"/moderation/users/{visible.author_id}/").status_code == 403


@pytest.mark.parametrize("action", ["hide", "show", "approve", "reject", "dismiss", "pin"])
def test_actions_refused_change_nothing(client, article, action):
    target = comment(article)
    Report.objects.create(comment=target, reporter=UserFactory(), reason="spam")
    data = {"reason": "spam"}
    url = f"/moderation/comments/{target.pk}/{action}/"

    assert client.post(url, data)["Location"].startswith("/accounts/login/")
    assert client.post(url, data, **JSON).status_code == 401
    client.force_login(UserFactory())
    assert client.post(url, data).status_code == 403
    response = client.post(url, data, **JSON)
    assert response.status_code == 403 and "error" in response.json()
    if action != "pin":
        client.force_login(editor())
        assert client.post(url, data, **JSON).status_code == 403
    assert client.get(url).status_code == 405
    assert comment_state(target.pk) == ("visible", "", False)
    assert Report.objects.get().resolved_at is None
    assert not ModerationAction.objects.exists()


def test_the_header_link_is_for_moderators(russian, article, visible, mod):
    Report.objects.create(comment=visible, reporter=UserFactory(), reason="spam")
    comment(article, status=Status.PENDING)
    russian.force_login(mod)
    page = russian.get("/").content.decode()
    assert "Модерация (2)" in page
    russian.force_login(editor())
    assert "Модерация (" not in russian.get("/").content.decode()
    russian.force_login(UserFactory())
    assert "Модерация (" not in russian.get("/").content.decode()


def test_the_context_processor_costs_readers_and_editors_no_query(rf, django_assert_num_queries):
    reader, chief = UserFactory(), editor()
    request = rf.get("/")
    request.user = reader
    with django_assert_num_queries(0):
        assert moderation_context(request) == {}
    request.user = chief
    assert not moderation_context(request)["moderation_counts"]  # warms the permission cache
    request.user = type(chief).objects.get(pk=chief.pk)
    with django_assert_num_queries(0):
        assert not moderation_context(request)["moderation_counts"]


# Pages: the queue


def test_the_reports_queue_shows_each_comment_in_context(russian, article, author, mod):
    parent = comment(article, body="Тарифы вырастут на треть.")
    reported = comment(article, parent=parent, author=author, body="Авторы статьи — идиоты")
    Report.objects.create(comment=reported, reporter=UserFactory(), reason="insult")
    Report.objects.create(
        comment=reported, reporter=UserFactory(), reason="other", text="Переход на личности"
    )
    comment(article, author=author, status=Status.HIDDEN)
    russian.force_login(mod)

    page = russian.get("/moderation/").content.decode()

    assert "Авторы статьи — идиоты" in page
    assert "Тарифы вырастут на треть." in page  # the parent's excerpt
    assert f'href="{reported.get_absolute_url()}"' in page
    assert article.title in page
    assert f'href="/moderation/users/{author.pk}/"' in page
    assert "комментариев: 2, скрыто: 1, жалоб получено: 2" in page
    assert "Переход на личности" in page and "Оскорбление" in page
    assert f'action="/moderation/comments/{reported.pk}/hide/"' in page
    assert f'action="/moderation/comments/{reported.pk}/dismiss/"' in page
    assert 'action="/moderation/bulk/"' in page
    assert "<kbd>j</kbd>" in page
    assert "moderation.js" in page


def test_each_queue_lists_its_comments(russian, article, mod, author):
    waiting = comment(article, body="ждёт", status=Status.PENDING)
    hidden = comment(article, body="скрыт", status=Status.HIDDEN, author=author)
    appealed = comment(article, body="обжалован", status=Status.HIDDEN, author=author)
    Appeal.objects.create(comment=appealed, author=author, text="Прошу вернуть")
    russian.force_login(mod)

    def listed(queue):
        page = russian.get(f"/moderation/?queue={queue}").content.decode()
        return {c.pk for c in (waiting, hidden, appealed) if f'id="mod-item-{c.pk}"' in page}

    assert listed("pending") == {waiting.pk}
    assert listed("hidden") == {hidden.pk, appealed.pk}
    assert listed("appeals") == {appealed.pk}
    assert listed("reports") == set()
    assert "Прошу вернуть" in russian.get("/moderation/?queue=appeals").content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_costs_the_same_queries_at_any_size(
    client, article, mod, count, django_assert_num_queries
):
    parent = comment(article)
    for n in range(count):
        target = comment(article, parent=parent if n % 2 else None, author=UserFactory())
        for _ in range(2):
            Report.objects.create(comment=target, reporter=UserFactory(), reason="spam")
        if n % 3 == 0:
            Sanction.objects.create(
                user=target.author,
                kind="suspend",
                until=timezone.now() + timedelta(days=1),
                reason="x",
            )
    for n in range(count):
        hidden = comment(article, status=Status.HIDDEN, author=UserFactory())
        Appeal.objects.create(comment=hidden, author=hidden.author, text=f"апелляция {n}")
    client.force_login(mod)
    for queue in ("reports", "appeals"):
        client.get(f"/moderation/?queue={queue}")  # warm the counts and navigation caches
        # session, user, 2 x permissions, page count, page, reports, author stats, sanctions
        with django_assert_num_queries(9):
            response = client.get(f"/moderation/?queue={queue}")
        assert response.status_code == 200
        assert response.content.decode().count('data-mod-item data-comment-id="') == count


def test_the_queue_is_paged_by_fifty(client, article, mod):
    for _ in range(51):
        comment(article, status=Status.PENDING)
    client.force_login(mod)
    first = client.get("/moderation/?queue=pending").content.decode()
    second = client.get("/moderation/?queue=pending&page=2").content.decode()
    assert first.count("data-mod-item ") == 50
    assert second.count("data-mod-item ") == 1


# Pages: one-click actions


def test_hide_from_the_queue_without_javascript(russian, visible, mod, author):
    Report.objects.create(comment=visible, reporter=UserFactory(), reason="spam")
    russian.force_login(mod)
    response = russian.post(
        f"/moderation/comments/{visible.pk}/hide/",
        {"reason": "spam", "reason_text": "ставки на спорт", "next": "/moderation/?queue=reports"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/moderation/?queue=reports"
    assert comment_state(visible.pk) == ("hidden", "Спам: ставки на спорт", False)
    page = russian.get(response["Location"]).content.decode()
    assert "Комментарий скрыт." in page


def test_an_unsafe_next_goes_back_to_the_comment(client, visible, mod):
    client.force_login(mod)
    response = client.post(
        f"/moderation/comments/{visible.pk}/hide/",
        {"reason": "insult", "next": "https://evil.example/"},
    )
    assert response["Location"] == visible.get_absolute_url()


def test_actions_answer_json(client, article, visible, mod):
    client.force_login(mod)
    response = client.post(
        f"/moderation/comments/{visible.pk}/hide/", {"reason": "other", "reason_text": ""}, **JSON
    )
    assert response.status_code == 400 and response.json()["error"]
    assert comment_state(visible.pk)[0] == "visible"

    response = client.post(
        f"/moderation/comments/{visible.pk}/hide/",
        {"reason": "other", "reason_text": "Личные данные соседа"},
        **JSON,
    )
    body = response.json()
    assert response.status_code == 200
    assert body["ok"] is True and body["status"] == "hidden"
    assert body["counts"]["hidden"] == 1
    assert f'id="comment-{visible.pk}"' in body["html"]

    body = client.post(f"/moderation/comments/{visible.pk}/show/", **JSON).json()
    assert body["status"] == "visible"
    body = client.post(f"/moderation/comments/{visible.pk}/pin/", **JSON).json()
    assert body["is_pinned"] is True
    body = client.post(f"/moderation/comments/{visible.pk}/unpin/", **JSON).json()
    assert body["is_pinned"] is False
    waiting = comment(article, status=Status.PENDING)
    response = client.post(f"/moderation/comments/{waiting.pk}/reject/", {"reason": "spam"}, **JSON)
    assert response.json()["status"] == "hidden"
    assert client.post("/moderation/comments/999999/hide/", **JSON).status_code == 404


def test_editors_pin_from_the_discussion(client, visible):
    client.force_login(editor())
    response = client.post(f"/moderation/comments/{visible.pk}/pin/")
    assert response["Location"] == visible.get_absolute_url()
    assert comment_state(visible.pk)[2] is True


def test_bulk_hide_approve_and_dismiss(client, article, mod):
    reported = [comment(article) for _ in range(3)]
    for target in reported:
        Report.objects.create(comment=target, reporter=UserFactory(), reason="spam")
    waiting = [comment(article, status=Status.PENDING) for _ in range(2)]
    client.force_login(mod)

    response = client.post(
        "/moderation/bulk/",
        {"action": "hide", "reason": "spam", "comment": [c.pk for c in reported[:2]]},
        **JSON,
    )
    assert response.json()["done"] == [reported[0].pk, reported[1].pk]
    assert [comment_state(c.pk)[:2] for c in reported[:2]] == [("hidden", "Спам")] * 2

    response = client.post(
        "/moderation/bulk/",
        {"action": "approve", "comment": [c.pk for c in waiting], "next": "/moderation/"},
    )
    assert response["Location"] == "/moderation/"
    assert {comment_state(c.pk)[0] for c in waiting} == {"visible"}

    body = client.post(
        "/moderation/bulk/",
        {"action": "dismiss", "comment": [reported[2].pk, reported[0].pk]},
        **JSON,
    ).json()
    assert body["done"] == [reported[2].pk]
    assert list(body["failed"]) == [str(reported[0].pk)]  # already resolved by hiding
    assert Report.objects.filter(resolution="dismissed").count() == 1
    assert [a[1] for a in actions()] == ["hide", "hide", "approve", "approve", "dismiss"]


def test_bulk_needs_a_reason_to_hide_and_a_moderator(client, article, mod):
    targets = [comment(article) for _ in range(2)]
    ids = [c.pk for c in targets]
    client.force_login(mod)
    no_reason = {"action": "hide", "reason": "other", "comment": ids}
    assert client.post("/moderation/bulk/", no_reason, **JSON).status_code == 400
    nothing_chosen = {"action": "hide", "reason": "spam"}
    assert client.post("/moderation/bulk/", nothing_chosen, **JSON).status_code == 400
    client.force_login(editor())
    hide = {"action": "hide", "reason": "spam", "comment": ids}
    assert client.post("/moderation/bulk/", hide).status_code == 403
    assert {comment_state(pk)[0] for pk in ids} == {"visible"}
    assert not ModerationAction.objects.exists()


def test_the_comment_page_shows_its_reports_and_history(russian, visible, mod):
    Report.objects.create(comment=visible, reporter=UserFactory(), reason="insult")
    services.hide(mod, visible, "Оскорбление")
    services.show(mod, fresh(visible))
    russian.force_login(mod)
    page = russian.get(f"/moderation/comments/{visible.pk}/").content.decode()
    assert "Вы все ничего не понимаете в тарифах." in page
    assert "Скрытие комментария" in page and "Возврат скрытого комментария" in page
    assert "Модератор" in page
    assert "Жалоба подтверждена" in page


# Pages: readers' reports and authors' appeals


def test_report_page_for_readers(russian, visible):
    url = f"/moderation/comments/{visible.pk}/report/"
    response = russian.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"

    reader = UserFactory()
    russian.force_login(reader)
    page = russian.get(url).content.decode()
    assert "Пожаловаться" in page and 'value="spam"' in page

    response = russian.post(url, {"reason": "other", "text": ""})
    assert response.status_code == 400 and not Report.objects.exists()

    response = russian.post(url, {"reason": "insult", "text": "Грубо"}, follow=True)
    assert response.redirect_chain[0][0] == visible.get_absolute_url()
    assert "Спасибо, модераторы посмотрят" in response.content.decode()
    assert Report.objects.get().reporter == reader

    response = russian.post(url, {"reason": "spam"}, **JSON)
    assert response.status_code == 400
    assert response.json()["error"] == "Вы уже пожаловались на этот комментарий."

    russian.force_login(visible.author)
    assert russian.get(url).status_code == 403


def test_appeal_pages(russian, visible, author, mod):
    url = f"/moderation/comments/{visible.pk}/appeal/"
    services.hide(mod, visible, "Оскорбление")
    assert russian.get(url)["Location"].startswith("/accounts/login/")
    russian.force_login(UserFactory())
    assert russian.get(url).status_code == 403
    assert russian.post(url, {"text": "Это я"}).status_code == 403

    russian.force_login(author)
    page = russian.get(url).content.decode()
    assert "Оскорбление" in page and 'name="text"' in page
    response = russian.post(url, {"text": "Я процитировал депутата."})
    assert response["Location"] == url
    appeal = Appeal.objects.get()
    assert "Решение ещё не принято" in russian.get(url).content.decode()

    russian.force_login(mod)
    page = russian.get("/moderation/?queue=appeals").content.decode()
    assert "Я процитировал депутата." in page
    assert f'action="/moderation/appeals/{appeal.pk}/decide/"' in russian.get(url).content.decode()
    response = russian.post(
        f"/moderation/appeals/{appeal.pk}/decide/", {"grant": "1", "reason": "Да, цитата."}
    )
    assert response["Location"] == "/moderation/?queue=appeals"
    assert comment_state(visible.pk)[0] == "visible"

    russian.force_login(author)
    page = russian.get(url).content.decode()
    assert "Удовлетворена" in page and "Да, цитата." in page


def test_readers_cannot_decide_appeals(client, visible, author, mod):
    services.hide(mod, visible, "Спам")
    appeal = services.appeal(author, fresh(visible), "Верните")
    client.force_login(author)
    url = f"/moderation/appeals/{appeal.pk}/decide/"
    assert client.post(url, {"grant": "1"}).status_code == 403
    assert client.post(url, {"grant": "1"}, **JSON).status_code == 403
    assert fresh(appeal).decided_at is None
    assert comment_state(visible.pk)[0] == "hidden"


# Pages: accounts


def test_the_user_page_suspends_bans_and_lifts(russian, article, author, mod):
    comment(article, author=author, body="Первый комментарий автора")
    hidden = comment(article, author=author, body="Скрытый комментарий", status=Status.HIDDEN)
    russian.force_login(mod)
    url = f"/moderation/users/{author.pk}/"

    page = russian.get(url).content.decode()
    assert "Первый комментарий автора" in page and "Скрытый комментарий" in page
    assert 'value="30"' in page and "Скрыть и все его комментарии" in page

    response = russian.post(url, {"action": "suspend", "days": "3", "reason": "Флуд"})
    assert response["Location"] == url
    with pytest.raises(CommentingClosed, match="Флуд"):
        policy.check_can_participate(author)
    assert "Флуд" in russian.get(url).content.decode()

    response = russian.post(
        url, {"action": "ban", "reason": "Спам", "hide_comments": "1", "days": "1"}, **JSON
    )
    assert response.json()["ok"] is True
    assert Sanction.objects.active().get().kind == "ban"
    assert comment_state(hidden.pk)[0] == "hidden"
    assert not Comment.objects.filter(author=author, status=Status.VISIBLE).exists()

    response = russian.post(url, {"action": "suspend", "days": "3", "reason": ""})
    assert response.status_code == 400

    russian.post(url, {"action": "lift"})
    assert not policy.is_sanctioned(author)
    assert [a[1] for a in actions(target_user=author)] == [
        "suspend",
        "ban",
        "hide_all",
        "lift",
    ]


def test_moderators_cannot_be_sanctioned_through_the_page(client, mod):
    colleague = moderator()
    client.force_login(mod)
    url = f"/moderation/users/{colleague.pk}/"
    assert 'name="action"' not in client.get(url).content.decode()
    assert client.post(url, {"action": "ban", "reason": "Конкурент"}).status_code == 403
    myself = f"/moderation/users/{mod.pk}/"
    assert client.post(myself, {"action": "ban", "reason": "Я"}).status_code == 403
    assert not Sanction.objects.exists()


def test_json_errors_are_never_500(client, visible, mod):
    client.force_login(mod)

    def status(url, data=None):
        return client.post(url, data or {}, **JSON).status_code

    assert status("/moderation/bulk/", {"action": "explode"}) == 400
    assert status("/moderation/bulk/", {"action": "approve", "comment": ["x"]}) == 400
    assert status(f"/moderation/users/{mod.pk}/", {"action": "nap"}) == 403
    assert status(f"/moderation/users/{visible.author_id}/", {"action": "nap"}) == 400
    assert status("/moderation/appeals/999/decide/", {"grant": "1"}) == 404
    assert status(f"/moderation/comments/{visible.pk}/dismiss/") == 400
    assert client.get("/moderation/?queue=nonsense&page=abc").status_code == 200
