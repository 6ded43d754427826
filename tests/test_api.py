"""The one-call functions: a renderer per thread, so threads may call them at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Four threads, each rendering three different bills at once with render_pdf; every
# PDF's text must carry its own bill's account and total, and nothing of the bill of
# another thread. Run in a process of its own: a corrupted heap shows as GLib's
# warnings on the process's stderr, or as a crash, not as a Python exception.
SCRIPT = textwrap.dedent(
    """
    import threading
    import pypdfium2 as pdfium
    from alseco_bill import render_pdf, sample_bill
    from alseco_bill.filling.formatting import amount, locale_for

    def text(pdf):
        document = pdfium.PdfDocument(pdf)
        try:
            return document[0].get_textpage().get_text_range()
        finally:
            document.close()

    failures = []

    def work(thread):
        for i in range(3):
            variant, lang = (("city", "kk"), ("region", "ru"), ("city", "ru"))[i]
            bill = sample_bill(variant, lang, seed=thread * 10 + i)
            words = " ".join(text(render_pdf(bill)).split())
            total = amount(abs(bill.totals.to_pay), locale_for(bill.language))
            for fact in (bill.account, total):
                if " ".join(fact.split()) not in words:
                    failures.append(f"thread {thread} bill {i}: {fact!r} missing")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("\\n".join(failures) or "ok")
    """
)


@pytest.mark.slow
def test_threads_rendering_at_once_each_get_their_own_bill() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok", result.stdout
    assert "GLib" not in result.stderr, result.stderr[-2000:]
    assert "corrupted" not in result.stderr, result.stderr[-2000:]
