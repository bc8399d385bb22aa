"""The source list's "deadline as written", shown in the reader's language.

The finance department's list mixes the two languages: a Chinese phrase with an English gloss in
brackets ("提车次日 (the day after pick-up)"), a Chinese phrase alone ("及时"), or an English
placeholder where the list gives no deadline ("none", "none (on request)"). A Chinese page shows
the Chinese phrase and an English page the gloss; the placeholders and bare phrases the list
uses have both words here, as the titles do, in the data rather than in a message catalogue.
Anything else (an administrator's own wording) is shown as typed."""

import re

# Phrases of the source list without the other language beside them.
KNOWN = {
    "none": ("none given", "未写明"),
    "none (on request)": ("none given (on request)", "未写明（按需）"),
    "at settlement": ("at settlement", "结算时"),
    "before handover": ("before handover", "交接前"),
    "及时": ("promptly", "及时"),
}
# "中文 (English gloss)": the Chinese before the bracket, the gloss inside it.
GLOSSED = re.compile(
    r"^(?P<zh>[^()（）]*[\u3400-\u9fff][^()（）]*?)\s*[(（](?P<en>[^()（）]+)[)）]\s*$"
)


def deadline_as_written(text: str | None, lang: str) -> str | None:
    """The written deadline in `lang` ("zh" or "en"), as far as the list gives it."""
    if not text:
        return text
    known = KNOWN.get(text.strip().lower()) or KNOWN.get(text.strip())
    if known is not None:
        return known[1] if lang == "zh" else known[0]
    glossed = GLOSSED.match(text)
    if glossed is not None:
        return glossed["zh"].strip() if lang == "zh" else glossed["en"].strip()
    return text
