"""Small things people noticed using the pages: names instead of usernames in pickers, tables a
phone can read (each row a card whose cells say what they are), pickers that are never empty."""

from __future__ import annotations

import re

from tests.webui.support import INTAKE


def table(page: str, table_id: str) -> str:
    match = re.search(rf'<table [^>]*id="{table_id}"[^>]*>.*?</table>', page, re.S)
    assert match, f"no table #{table_id}"
    return match.group(0)


def labelled_cells(html: str) -> list[str]:
    return re.findall(r'<td[^>]*data-label="([^"]+)"', html)


def test_the_team_reassign_picker_shows_names_not_usernames(client, auth, engine):
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    auth.sign_in("cs_manager")
    options = re.findall(r'<option value="([^"]+)">([^<]*)</option>', table(client.get("/team").get_data(as_text=True), "team"))
    assert ("cs_staff2", "赵磊") in options and ("cs_staff1", "杨丽") in options
    assert not any("(" in label for _, label in options)


def test_inbox_team_and_requests_stack_as_labelled_cards_on_a_phone(client, auth, engine):
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    auth.sign_in("cs_staff1")
    inbox = table(client.get("/").get_data(as_text=True), "inbox")
    requests = table(client.get("/requests").get_data(as_text=True), "requests")
    assert "zd-stack" in inbox and "zd-stack" in requests
    assert {"截止时间", "认领人"} <= set(labelled_cells(inbox))
    assert "等待" in " ".join(labelled_cells(requests))
    auth.sign_in("cs_manager")
    team = table(client.get("/team").get_data(as_text=True), "team")
    assert "zd-stack" in team and "截止时间" in labelled_cells(team)
    auth.sign_in("auditor")
    found = table(client.get("/audit/").get_data(as_text=True), "audit-results")
    assert "zd-stack" in found and {"流程", "当前步骤"} <= set(labelled_cells(found))


def test_the_owner_form_preview_offers_people_in_a_user_field(client, auth):
    auth.sign_in("owner")
    text = "\n".join(["key: pick", "title: {zh: 指派, en: Assign}", "schema:", "  type: object", "  properties:",
                      "    who: {type: string, format: user}", "ui:", "  fields:", "    who: {label: {zh: 人, en: Who}}"])
    preview = auth.post("/owner/form-preview", {"text": text}).get_json()
    assert '<option value="cs_staff2"' in preview["html"] and "赵磊" in preview["html"]


def test_reassigning_names_the_person_and_nobody_is_preselected(client, auth, engine):
    task_id = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
    auth.sign_in("cs_manager")
    picker = table(client.get("/team").get_data(as_text=True), "team")
    assert re.search(r'<select [^>]*name="to_user" required>\s*<option value="" selected disabled>转派给…</option>', picker)
    page = auth.post(f"/tasks/{task_id}/reassign", {"to_user": "cs_staff2"}, follow_redirects=True).get_data(as_text=True)
    assert "已将任务转派给 赵磊。" in page
    for nobody in ("", "no_such_user"):
        response = auth.post(f"/tasks/{task_id}/reassign", {"to_user": nobody}, follow_redirects=True)
        assert response.status_code == 200 and "请先选择要转派给谁。" in response.get_data(as_text=True)
    assert engine.show(engine.task(task_id).instance_id).active_tasks[0].claimed_by == "cs_staff2"


def test_the_inbox_sort_picker_has_a_label(client, auth, engine):
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    auth.sign_in("cs_staff1")
    assert '<label class="form-label small mb-0" for="sort">排序</label>' in client.get("/").get_data(as_text=True)


def test_the_editor_names_the_procedure_and_its_fit_button_in_the_reader_language(client, auth):
    auth.sign_in("owner")
    page = client.get("/owner/performance_appraisal/edit").get_data(as_text=True)
    assert '<li class="breadcrumb-item active">绩效考核</li>' in page
    assert 'id="fit" title="整图适应窗口"' in page
    new = auth.post("/owner/new", {"key": "leave_request", "name_zh": "请假", "name_en": "Leave"}).get_data(as_text=True)
    assert '<li class="breadcrumb-item active">请假</li>' in new


def test_labels_take_a_full_width_colon_in_chinese_and_a_spaced_one_in_english(client, auth, engine):
    instance_id = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    auth.sign_in("cs_staff1")
    waiting = table(client.get("/requests").get_data(as_text=True), "requests")
    assert "安抚客户并记录详情：</span>" in waiting and "详情:</span>" not in waiting
    assert "制度条款：R" in client.get("/start").get_data(as_text=True)
    auth.post("/language", {"lang": "en", "next": "/"})
    assert "Calm the customer and record details: </span>" in client.get("/requests").get_data(as_text=True)
    auth.sign_in("auditor")
    auth.post("/language", {"lang": "zh", "next": "/"})
    page = client.get(f"/audit/instances/{instance_id}").get_data(as_text=True)
    assert "等待中：<span" in page
    assert f'd-block d-md-inline">{instance_id}</span></h1>' in page  # the long id gets its own line on a phone


def test_the_version_history_names_who_deployed(client, auth):
    from tests.webui.test_owner_pages import editor_payload, posted

    auth.sign_in("owner")
    data = editor_payload(client)
    renamed = data["xml"].replace('name="调查核实 Investigate and verify"', 'name="调查 Investigate"')
    assert auth.post("/owner/deploy", {"payload": posted(data, xml=renamed), "comment": "改名"}).get_json()["deployed"]
    page = client.get("/owner/").get_data(as_text=True)
    assert re.search(r'<tr data-version="2"><td>2</td><td>林流程</td>', page)
    complaint = page[page.index('id="history-complaint_handling"'):]
    assert '<a class="btn btn-sm btn-outline-secondary" data-action="compare" href="/owner/complaint_handling/compare">' in complaint
    appraisal = page[page.index('id="history-performance_appraisal"'):]  # one version: nothing to compare
    assert re.match(r'(?s)((?!</div>).)*<span class="btn btn-sm btn-outline-secondary disabled" data-action="compare"', appraisal)


def test_compare_and_migrate_name_the_procedure_and_their_versions_read_without_a_dangling_dot(client, auth):
    auth.sign_in("owner")
    for url in ("/owner/complaint_handling/compare", "/owner/complaint_handling/migrate"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(r'<li class="breadcrumb-item active">客户投诉处理 · [^<]+</li>', page), url
        assert re.search(r'>v1 · \d{4}-\d\d-\d\d \d\d:\d\d</option>', page), url


APPRAISAL = {"employee": "cs_staff1", "supervisor": "cs_manager", "period_type": "quarter", "period_label": "2026-Q3",
             "results_indicators": "完成率", "ability_indicators": "沟通", "attitude_indicators": "积极",
             "peer_rows": [{"username": "cs_staff2"}, {"username": "mk_staff1"}]}


def test_a_multi_instance_item_is_named_like_its_activity_in_history_and_step_through(client, auth, engine):
    instance = engine.start("performance_appraisal", "cs_manager", APPRAISAL)
    peer = next(t for t in instance.active_tasks if "user:mk_staff1" in t.candidates)
    engine.claim(peer.id, "mk_staff1")
    auth.sign_in("cs_manager")
    page = client.get(f"/instances/{instance.id}").get_data(as_text=True)
    assert re.findall(r'任务到达 · 同事评价', page) and "认领任务 · 同事评价" in page
    assert "[child]" not in page
    auth.sign_in("auditor")
    page = client.get(f"/audit/instances/{instance.id}").get_data(as_text=True)
    assert "[child]" not in page and "认领任务 · 同事评价" in page
    steps = re.search(r'"active": \[[^\]]*"Task_PeerEval"', page)
    assert steps, "the step-through marks the multi-instance activity on the diagram"


def test_the_current_step_names_a_multi_instance_step_once_and_lists_in_the_reader_language(client, auth, engine):
    engine.start("performance_appraisal", "cs_manager", APPRAISAL)
    auth.sign_in("auditor")
    page = client.get("/audit/").get_data(as_text=True)
    assert page.count("同事评价") == 1 and "，" in page
    auth.post("/language", {"lang": "en", "next": "/audit/"})
    page = client.get("/audit/").get_data(as_text=True)
    assert page.count("Peer evaluation") == 1 and ("Self-evaluation, " in page or ", Self-evaluation" in page)
    assert "，" not in page


def test_the_organisation_history_reads_field_colon_value_without_a_stray_space(client, auth, engine):
    engine.add_user("newbie", "新人", ["customer-service-staff"], "customer-service", actor="admin")
    auth.sign_in("auditor")
    page = client.get("/audit/organisation").get_data(as_text=True)
    assert re.search(r'部门：</span>客户服务部', page)
