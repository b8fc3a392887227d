"""E5 in a real browser: our pages cannot be framed, and the CSP blocks injected inline script."""
from __future__ import annotations

import pytest

from tests.support.factories import make_merchant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_another_site_cannot_frame_the_login_page(hk, live_server, page, request):
    request.node.expects_csp_violations = True  # the refusal is itself reported as one
    page.set_content(f'<iframe id="f" src="{live_server}/login" width="400" height="300"></iframe>')
    page.wait_for_timeout(1500)
    framed = next((f for f in page.frames if f.url.startswith(live_server)), None)
    assert framed is None or framed.query_selector("form") is None


def test_our_pages_run_their_scripts_under_the_policy(hk, live_server, page, request):
    request.node.expects_csp_violations = True  # exactly one: the injected script below
    make_merchant(hk, "浏览器测试店")
    page.goto(f"{live_server}/login")
    page.get_by_label("商户").fill("浏览器测试店")
    page.get_by_label("用户名").fill("owner")
    page.get_by_label("密码").fill("password-123")
    page.keyboard.press("Enter")
    page.get_by_text("已登录").wait_for()
    page.goto(f"{live_server}/editor/preview")
    # An injected inline script would not run: the page's own ones (from /static) do.
    ran = page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__injected = true'; document.body.appendChild(s);
        return window.__injected === true; }""")
    assert ran is False
    assert page.evaluate("() => document.querySelectorAll('script[src]').length") >= 1
    page.wait_for_timeout(300)
    assert len(request.node.csp_blocked) == 1 and "script-src 'self'" in request.node.csp_blocked[0]
