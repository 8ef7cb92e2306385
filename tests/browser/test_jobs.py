"""An Excel import of thousands of rows through the page runs in a real ``quanhui worker``:
the page shows its progress moving, then the result, without a reload."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.core.test_entity_excel import association_row, workbook

ROWS = 5000


def test_a_large_import_shows_its_progress_moving_and_then_the_result(
    app, page, live_url, make_user, sign_in, start_worker, no_reload, tmp_path
):
    start_worker()
    make_user("lixia", "editor")
    upload = tmp_path / "名录.xlsx"
    upload.write_bytes(workbook([association_row(n) for n in range(1, ROWS + 1)]))
    sign_in(page, "lixia-editor")
    page.goto(f"{live_url}/lixia/entities/association/excel/")

    page.get_by_label("Excel 文件(.xlsx)").set_input_files(upload)
    seen: list[str] = []
    result = page.locator("#import-result")
    with no_reload(page):
        page.get_by_role("button", name="开始导入").click()
        progress = page.get_by_test_id("import-progress")
        for _ in range(3000):  # polls every 0.1 s: gives up after about five minutes
            if result.locator(".import-done").count():
                break
            if progress.count():
                text = progress.first.text_content(timeout=1000) or ""
                if text and text not in seen:
                    seen.append(text)
            page.wait_for_timeout(100)
        expect(result).to_contain_text(f"导入完成:已新增 {ROWS} 条协会商会。")
    assert len(seen) >= 2, seen
    assert all(f"/ {ROWS} 行" in text for text in seen), seen
