"""Evidence uploaded and downloaded in Chromium (issue 15.4): a refused file comes back beside
its field; an accepted one is linked from the instance page and downloads unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_complaint_journey import open_task, start_complaint, submit, yes

pytestmark = pytest.mark.browser

PDF = "%PDF-1.4\n% 物流记录\n".encode()


def test_evidence_is_uploaded_refused_when_wrong_and_downloaded_unchanged(new_page, server, tmp_path):
    staff = new_page("cs_staff1")
    instance_url = start_complaint(staff, server)
    open_task(staff, server, "安抚客户并记录详情")
    staff.fill("[name=details]", "客户三次预约送货均未送达")
    yes(staff, "customer_calmed")
    submit(staff)

    open_task(staff, server, "调查核实")
    staff.fill("[name=findings]", "物流记录显示未派送")
    yes(staff, "founded")
    staff.set_input_files("input[type=file][name=evidence]",
                          files=[{"name": "page.html", "mimeType": "text/html", "buffer": b"<script></script>"}])
    staff.click("#task-form button[type=submit]")
    staff.wait_for_selector("[data-field=evidence] .field-error")
    assert "不接受此类文件" in staff.inner_text("[data-field=evidence] .field-error")
    assert staff.input_value("[name=findings]") == "物流记录显示未派送"

    staff.set_input_files("input[type=file][name=evidence]",
                          files=[{"name": "物流记录.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    submit(staff)

    staff.goto(instance_url)
    link = staff.locator("#instance-data a.zd-file")
    assert "物流记录.pdf" in link.inner_text()
    with staff.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "物流记录.pdf" and Path(saved).read_bytes() == PDF
