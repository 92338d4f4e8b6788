"""Comments on the instance and task pages: posted with the CSRF token, mentions shown as the
person's name (unknown ones as plain text), blank or overlong text refused beside the field."""

from __future__ import annotations

import html
import re

from engine.commands.comments import MAX_COMMENT
from tests.webui.support import INTAKE


def started(engine) -> str:
    return engine.start("complaint_handling", "cs_staff1", INTAKE).id


def comment_texts(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(r'class="comment-text[^"]*"[^>]*>(.*?)</div>', page, re.S)]


def test_a_comment_posted_on_the_instance_page_shows_there_with_the_mention_as_a_name(client, auth, engine):
    iid = started(engine)
    auth.sign_in("cs_staff1")
    response = auth.post(f"/instances/{iid}/comments", {"text": "请 @cs_staff2 核实 <b>，@nobody 看看",
                                                        "next": f"/instances/{iid}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/instances/{iid}#comments")
    page = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert comment_texts(page) == ["请 @赵磊 核实 <b>，@nobody 看看"]  # the markup is text, escaped
    assert 'data-username="cs_staff2"' in page and "&lt;b&gt;" in page and 'data-username="nobody"' not in page
    assert 'data-kind="commented"' in page  # and in the history, as a command
    assert [e.kind for e in engine.history(iid)][-1] == "commented"


def test_the_task_page_shows_the_instances_comments_and_posts_back_to_itself(client, auth, engine):
    iid = started(engine)
    engine.comment(iid, "cs_manager", "尽快处理")
    task = engine.show(iid).active_tasks[0]
    auth.sign_in("cs_staff2")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert comment_texts(page) == ["尽快处理"] and "陈客服" in page
    response = auth.post(f"/instances/{iid}/comments", {"text": "收到", "next": f"/tasks/{task.id}"})
    assert response.headers["Location"].endswith(f"/tasks/{task.id}#comments")
    assert comment_texts(client.get(f"/tasks/{task.id}").get_data(as_text=True)) == ["尽快处理", "收到"]


def test_blank_and_overlong_comments_come_back_beside_the_field_and_nothing_is_kept(client, auth, engine):
    iid = started(engine)
    auth.sign_in("cs_staff1")
    blank = auth.post(f"/instances/{iid}/comments", {"text": "   "})
    assert blank.status_code == 422 and 'id="comment-error"' in blank.get_data(as_text=True)
    assert "请填写评论内容" in blank.get_data(as_text=True)
    long_text = "字" * (MAX_COMMENT + 1)
    too_long = auth.post(f"/instances/{iid}/comments", {"text": long_text}).get_data(as_text=True)
    assert "评论最多 4000 个字符" in too_long and long_text in too_long  # the text is kept to shorten
    assert "commented" not in [e.kind for e in engine.history(iid)]


def test_a_comment_needs_the_csrf_token_and_someone_who_may_see_the_instance(client, auth, engine):
    iid = started(engine)
    auth.sign_in("cs_staff1")
    assert client.post(f"/instances/{iid}/comments", data={"text": "hi"}).status_code == 400
    auth.sign_in("mk_staff1")
    assert auth.post(f"/instances/{iid}/comments", {"text": "hi"}).status_code == 403
    assert "commented" not in [e.kind for e in engine.history(iid)]


def test_english_pages_word_the_comments_in_english(client, auth, engine):
    iid = started(engine)
    auth.sign_in("cs_staff1")
    auth.post("/language", {"lang": "en"})
    page = auth.post(f"/instances/{iid}/comments", {"text": ""}).get_data(as_text=True)
    assert "Add a comment" in page and "Write something first." in page and "添加评论" not in page
